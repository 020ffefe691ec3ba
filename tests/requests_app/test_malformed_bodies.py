"""No malformed body makes the API answer 500 or HTML: wrong types, nulls, unknown values and
huge strings, thrown at every request shape and every decision endpoint."""

import itertools
import json

import pytest

SHAPES = {
    "enroll": {
        "profile": "webra-demo",
        "module": "webra",
        "workflow": "enroll",
        "template": {"keyType": "ec-secp256r1", "subject": [], "sans": [], "labels": []},
        "password": {"value": "x"},
    },
    "revoke": {"workflow": "revoke", "certificateId": "x", "template": {"revocationReason": "x"}},
    "update": {
        "workflow": "update",
        "certificateId": "x",
        "template": {"labels": [], "owner": {}, "team": {}},
    },
    "recover": {"workflow": "recover", "certificateId": "x", "password": {"value": "x"}},
    "renew": {
        "module": "webra",
        "workflow": "renew",
        "certificateId": "x",
        "template": {"csr": "x"},
    },
    "migrate": {
        "module": "webra",
        "workflow": "migrate",
        "profile": "webra-demo",
        "certificatePem": "x",
        "template": {},
    },
    "import": {
        "module": "webra",
        "workflow": "import",
        "certificatePem": "x",
        "template": {"privateKey": "x"},
    },
    "est": {
        "profile": "webra-demo",
        "module": "est",
        "workflow": "enroll",
        "dn": "x",
        "template": {"subject": [], "labels": []},
    },
    "scep": {"profile": "webra-demo", "module": "scep", "workflow": "enroll", "dn": "x"},
}
BAD_VALUES = [
    None,
    0,
    -1,
    1e308,
    True,
    [],
    {},
    "",
    "x" * 70_000,
    ["a", 1],
    {"value": []},
    "\ud800",
    "\u0000",
    [None],
    [{}],
    [[]],
]


def mutations():
    for (shape, body), bad in itertools.product(SHAPES.items(), range(len(BAD_VALUES))):
        for key in list(body):
            yield f"{shape}-{key}-{bad}", {**body, key: BAD_VALUES[bad]}
            if isinstance(body[key], dict):
                for inner in body[key]:
                    nested = {**body[key], inner: BAD_VALUES[bad]}
                    yield f"{shape}-{key}.{inner}-{bad}", {**body, key: nested}


CASES = dict(mutations())


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_submission_is_a_client_error(profile, approver_api, case):
    status, body = approver_api.submit(CASES[case])
    assert 400 <= status < 500, (case, body)
    assert body.get("error") and body.get("detail"), (case, body)


@pytest.mark.parametrize("endpoint", ["approve", "deny", "cancel"])
@pytest.mark.parametrize("bad", range(len(BAD_VALUES)))
def test_a_malformed_decision_is_a_client_error(profile, approver_api, endpoint, bad):
    for body in (
        {"_id": BAD_VALUES[bad]},
        {"_id": "00000000-0000-0000-0000-000000000000", "template": BAD_VALUES[bad]},
        {"_id": "00000000-0000-0000-0000-000000000000", "module": BAD_VALUES[bad]},
        BAD_VALUES[bad],
    ):
        status, answer = approver_api.post(f"/api/v1/requests/{endpoint}", json.dumps(body))
        assert 400 <= status < 500, (body, answer)
