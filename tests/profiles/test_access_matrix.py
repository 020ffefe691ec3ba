"""Every place that says who may act agrees, cell by cell (issue 13).

The cells: grant level (none, request, perform) x the profile's self permissions (off, on) x
the profile open to every signed-in account at ``request`` (off, on) x the caller (the
certificate's owner, a member of its team, another account) x every workflow. In each cell the
certificate page's button and action page, the API's ``permissions`` field of the certificate,
the profile lists (``/enroll/``, ``/import/``, ``GET /api/v1/requests/profiles``) and the
submission's outcome (the submit API with ``dryRun``: completed, pending or refused) must say
what the access policy's rules say (profiles/access.py), written out again here as the oracle.

One test per (grant, self, open) group builds its world once: a profile with the group's
settings, a migration target with the same grants and open levels, three callers holding the
group's grant on every workflow of both, and one escrowed certificate owned by the owner and
shared with the member's team. Runs on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from certificates.models import Certificate
from profiles.models import Workflow
from requests_app import services
from requests_app.workflows import handler_for
from tests.conftest import Api
from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant, make_csr
from tests.requests_app.test_import import external_certificate

PERFORM, REQUEST, HIDDEN = "perform", "request", "hidden"  # HIDDEN: 404, not even seen
GRANTS = [None, REQUEST, PERFORM]
CALLERS = ["owner", "member", "other"]
ON_CERTIFICATE = ["revoke", "update", "renew", "recover", "migrate"]
SELF = {"revoke", "update", "renew", "recover"}
WORKFLOWS = ["enroll", *ON_CERTIFICATE, "import"]
PASSWORD = "Correct-Horse-9-battery"


def expected(grant_level, self_on: bool, open_on: bool, caller: str, workflow: str):
    """The rules of profiles/access.py, written out on their own."""
    on_profile = grant_level or (REQUEST if open_on else None)
    if workflow in ("enroll", "import"):
        return on_profile
    if not sees_the_certificate(grant_level, caller):
        return HIDDEN
    if on_profile == PERFORM or (self_on and caller == "owner" and workflow in SELF):
        return PERFORM
    if on_profile == REQUEST and caller in ("owner", "member"):
        return REQUEST
    return None


def sees_the_certificate(grant_level, caller: str) -> bool:
    """Its owner, its team, and accounts with a grant on its profile: a profile open to every
    account does not open its certificates to every account."""
    return caller in ("owner", "member") or grant_level is not None


def submission(workflow: str, world: dict) -> dict:
    body = {"module": "webra", "workflow": workflow, "dryRun": True}
    certificate = {"certificateId": world["certificate"]}
    return (
        body
        | {
            "enroll": {
                "profile": "matrix",
                "template": {
                    "subject": [{"element": "cn.1", "value": "new.example.com"}],
                    "csr": world["csr"],
                },
            },
            "import": {
                "profile": "matrix",
                "certificatePem": world["foreign"][0],
                "template": {"privateKey": world["foreign"][1]},  # the profile escrows keys
            },
            "renew": certificate | {"template": {"csr": world["csr"]}},  # the caller's own key
            "revoke": certificate | {"template": {"revocationReason": "superseded"}},
            "update": certificate | {"template": {"labels": [{"label": "env", "value": "prod"}]}},
            "recover": certificate | {"password": {"value": PASSWORD}},
            "migrate": certificate | {"profile": "matrix-target"},
        }[workflow]
    )


def build_world(pki, grant_level, self_on: bool, open_on: bool) -> dict:
    opened = dict.fromkeys(Workflow.values, REQUEST) if open_on else {}
    flags = {f"self_{w}": self_on for w in SELF}
    profile = ProfileFactory(
        name="matrix",
        ca=pki["issuing"],
        renewal_period_days=400,  # renewable at once: the outcome is about rights alone
        authenticated_levels=opened,
        **flags,
    )
    target = ProfileFactory(name="matrix-target", ca=pki["issuing"], authenticated_levels=opened)
    callers = {name: UserFactory(username=name) for name in CALLERS}
    team = TeamFactory(name="matrix-team")
    team.members.add(callers["member"])
    if grant_level is not None:
        for user, on, workflow in itertools.product(
            callers.values(), (profile, target), Workflow.values
        ):
            grant(on, user, grant_level, workflow)
    issuer = get_user_model().objects.create_user("issuer", is_staff=True)  # administrator
    outcome = services.request_submit(
        issuer,
        handler_for("webra", "enroll"),
        {
            "profile": "matrix",
            "module": "webra",
            "workflow": "enroll",
            "template": {
                "subject": [{"element": "cn.1", "value": "web.example.com"}],
                "keyType": "ec-secp256r1",
                "labels": [{"label": "env", "value": "dev"}],
            },
            "password": {"value": PASSWORD},
        },
    )
    certificate = outcome.request.certificate
    Certificate.objects.filter(pk=certificate.pk).update(owner=callers["owner"], team=team)
    return {
        "callers": callers,
        "certificate": str(certificate.pk),
        "csr": make_csr()[0],
        "foreign": external_certificate(),
    }


def observed(world: dict, caller: str) -> dict[str, dict[str, object]]:
    """What every place says to ``caller``, per workflow and place."""
    user = world["callers"][caller]
    certificate = world["certificate"]
    client = Client()
    client.force_login(user)
    api = Api(user)
    seen: dict[str, dict[str, object]] = {w: {} for w in WORKFLOWS}

    page = client.get(f"/certificates/{certificate}/")
    offered = {a.workflow for a in page.context["actions"]} if page.status_code == 200 else None
    status, body = api.get(f"/api/v1/certificates/{certificate}")
    permissions = body["permissions"] if status == 200 else None
    status, listed = api.get("/api/v1/requests/profiles")
    assert status == 200, listed
    requestable = {
        w["workflow"]: PERFORM if w["perform"] else REQUEST
        for p in listed
        if p["name"] == "matrix"
        for w in p["workflows"]
    }
    enroll_page = client.get("/enroll/")
    import_page = client.get("/import/")
    importable = import_page.status_code == 200 and "matrix" in dict(
        import_page.context["form"].fields["profile"].choices
    )

    for workflow in WORKFLOWS:
        cell = seen[workflow]
        if permissions is None:
            cell["API permissions"] = HIDDEN
        elif workflow != "import":
            cell["API permissions"] = (
                PERFORM
                if permissions[workflow]
                else REQUEST
                if permissions["request" + workflow.capitalize()]
                else None
            )
        if workflow in ON_CERTIFICATE:
            cell["page button"] = HIDDEN if offered is None else workflow in offered
            action = client.get(f"/certificates/{certificate}/{workflow}/")
            cell["action page"] = action.status_code
        if workflow != "import":
            cell["requestable profiles"] = requestable.get(workflow)
        status, answer = api.submit(submission(workflow, world))
        if status in (200, 201):
            cell["outcome"] = PERFORM if answer["status"] == "completed" else REQUEST
        elif answer.get("error") == "SEC-PERM-001":
            cell["outcome"] = None
        elif answer.get("error") == getattr(handler_for("webra", workflow), "unknown", None):
            cell["outcome"] = HIDDEN
        else:
            cell["outcome"] = f"{status} {answer.get('error')}: {answer.get('detail')}"
    seen["enroll"]["enroll page"] = any(p.name == "matrix" for p in enroll_page.context["profiles"])
    seen["import"]["import page"] = importable
    return seen


def what_each_place_should_say(level, workflow: str, on_profile, sees: bool) -> dict[str, object]:
    """What each place must say in a cell whose rules give ``level`` (``on_profile``: the
    level on the profile itself, for the profile lists; ``sees``: whether the caller sees the
    certificate, for its page and its API answer)."""
    may = level not in (None, HIDDEN)
    says: dict[str, object] = {"outcome": level}
    if workflow != "import":
        says["API permissions"] = level if sees else HIDDEN
        says["requestable profiles"] = on_profile
    if workflow in ON_CERTIFICATE:
        says["page button"] = HIDDEN if level == HIDDEN else may
        says["action page"] = 200 if may else 404
    if workflow == "enroll":
        says["enroll page"] = on_profile is not None
    if workflow == "import":
        says["import page"] = on_profile is not None
    return says


@pytest.mark.parametrize(
    ("grant_level", "self_on", "open_on"),
    list(itertools.product(GRANTS, [False, True], [False, True])),
    ids=lambda value: {None: "no-grant", True: "on", False: "off"}.get(value, value),
)
def test_every_place_agrees_on_who_may_act(pki, grant_level, self_on, open_on):
    world = build_world(pki, grant_level, self_on, open_on)
    disagreements = []
    cells = 0
    for caller in CALLERS:
        seen = observed(world, caller)
        for workflow in WORKFLOWS:
            cells += 1
            level = expected(grant_level, self_on, open_on, caller, workflow)
            on_profile = expected(grant_level, self_on, open_on, caller, "enroll")
            sees = sees_the_certificate(grant_level, caller)
            should = what_each_place_should_say(level, workflow, on_profile, sees)
            for place, want in should.items():
                if seen[workflow].get(place) != want:
                    disagreements.append(
                        f"  {caller:6} {workflow:7} {place:20} says {seen[workflow].get(place)!r}"
                        f", the policy {want!r}"
                    )
    assert cells == len(CALLERS) * len(WORKFLOWS)
    assert not disagreements, f"grant={grant_level} self={self_on} open={open_on}:\n" + "\n".join(
        disagreements
    )
