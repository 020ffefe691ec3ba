"""GET /api/v1/certificates/{id|pem} and POST /api/v1/certificates/search: visibility, HCQL,
the client's certificate models, permissions."""

import json
import uuid
from urllib.parse import quote

import pytest
from horizon.models.certificate_response import CertificateResponse
from horizon.models.certificate_search_results_response import CertificateSearchResultsResponse
from horizon.models.certificate_with_permissions_response import (
    CertificateWithPermissionsResponse,
)

from certificates.models import Certificate
from certificates.services import revoke_certificate
from tests.factories import ProfileFactory, TeamFactory, UserFactory, grant
from tests.read_side import ids_of, make_certificate, search_certificates


@pytest.fixture
def certs(profile, requester, outsider):
    """Two certificates on webra-demo (seen by requester and approver through their grants),
    one on a profile nobody holds a grant on, owned by the outsider."""
    private = ProfileFactory(name="private", ca=profile.ca)
    revoked = make_certificate(profile, "old.example.com", owner=requester)
    revoke_certificate(revoked, "superseded")
    return {
        "web": make_certificate(profile, "web.example.com", owner=requester, escrow=True),
        "old": revoked,
        "mine": make_certificate(private, "outsider.example.com", owner=outsider),
    }


def get(api, reference: str):
    return api.get("/api/v1/certificates/" + quote(reference, safe=""))


def test_the_owner_gets_a_certificate_by_id_with_permissions(requester_api, certs):
    status, body = get(requester_api, str(certs["web"].pk))
    assert status == 200, body
    parsed = CertificateWithPermissionsResponse.from_json(json.dumps(body))
    assert parsed.certificate.dn == "CN=web.example.com" and parsed.certificate.escrowed is True
    # The requester holds "request" on every workflow of the profile: ask, not do.
    assert parsed.permissions.revoke is False and parsed.permissions.request_revoke is True
    assert parsed.permissions.enroll is False and parsed.permissions.request_enroll is True


def test_an_approver_sees_the_certificates_of_the_profiles_they_hold_grants_on(approver_api, certs):
    status, body = get(approver_api, str(certs["web"].pk))
    assert status == 200, body
    assert body["permissions"]["revoke"] is True and body["permissions"]["requestRevoke"] is True
    assert body["permissions"]["enroll"] is True, body


def test_permissions_follow_the_grants_workflow_by_workflow(api_as, certs):
    auditor = UserFactory(username="auditor")
    grant(certs["web"].profile, auditor, "request", workflow="revoke")
    grant(certs["web"].profile, auditor, "perform", workflow="renew")
    status, body = get(api_as(auditor), str(certs["web"].pk))
    assert status == 200, body
    allowed = {key for key, value in body["permissions"].items() if value}
    # ``request`` acts on one's own or one's team's certificates only (profiles/access.py).
    assert allowed == {"renew", "requestRenew"}, body
    Certificate.objects.filter(pk=certs["web"].pk).update(owner=auditor)
    status, body = get(api_as(auditor), str(certs["web"].pk))
    allowed = {key for key, value in body["permissions"].items() if value}
    assert allowed == {"requestRevoke", "renew", "requestRenew"}, body


def test_outsiders_get_404_for_certificates_they_may_not_see(outsider_api, certs):
    for reference in (str(certs["web"].pk), certs["web"].pem):
        status, body = get(outsider_api, reference)
        assert status == 404, body
        assert body["error"] == "CERT-SEARCH-003" and body["message"] == "Certificate not found"


def test_an_owner_without_any_grant_still_sees_their_certificate(outsider_api, certs):
    status, body = get(outsider_api, str(certs["mine"].pk))
    assert status == 200 and body["certificate"]["owner"] == "outsider", body


def test_team_members_see_the_certificates_of_their_team(outsider_api, outsider, profile):
    team = TeamFactory(name="web-team")
    team.members.add(outsider)
    private = ProfileFactory(name="teamed", ca=profile.ca)
    teams = make_certificate(private, "team.example.com", team=team)
    status, body = get(outsider_api, str(teams.pk))
    assert status == 200 and body["certificate"]["team"] == "web-team", body


def test_an_unknown_id_is_404(requester_api, certs):
    status, body = get(requester_api, str(uuid.uuid4()))
    assert status == 404 and body["error"] == "CERT-SEARCH-003", body
    status, body = get(requester_api, "not-an-id")  # no such route: not even an id
    assert status == 404, body


def test_a_certificate_is_found_by_its_url_encoded_pem(requester_api, certs):
    status, body = get(requester_api, certs["web"].pem)
    assert status == 200, body
    parsed = CertificateResponse.from_json(json.dumps(body))
    assert parsed.id == str(certs["web"].pk) and parsed.certificate == certs["web"].pem


def test_a_path_that_is_neither_an_id_nor_a_certificate_is_refused(requester_api, certs):
    status, body = get(requester_api, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n")
    assert status == 400 and body["error"] == "CERT-SEARCH-002", body


def test_search_lists_only_what_the_caller_may_see(requester_api, outsider_api, certs):
    status, body = search_certificates(requester_api, withCount=True)
    assert status == 200, body
    assert ids_of(body) == {str(certs["web"].pk), str(certs["old"].pk)}, body
    assert body["count"] == 2, body
    status, body = search_certificates(outsider_api)
    assert ids_of(body) == {str(certs["mine"].pk)}, body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('dn contains "WEB"', {"web"}),
        ("status is valid", {"web"}),
        ("status is revoked", {"old"}),
        ("status is not revoked", {"web"}),
        ("status is expired", set()),
        ("revoked equals true", {"old"}),
        ("revoked is false", {"web"}),
        ("certificate is escrowed", {"web"}),
        ("profile equals webra-demo and owner equals requester", {"web", "old"}),
        ("module = webra and team exists", set()),
        ("valid.until after 300d and notAfter before 400d", {"web", "old"}),
        ("notAfter < now", set()),
        ("revocation.date exists", {"old"}),
        ('revocation.reason = "superseded"', {"old"}),
        ("keytype = ec-secp256r1", {"web", "old"}),
    ],
)
def test_hcql_queries_filter_certificates(requester_api, certs, query, expected):
    status, body = search_certificates(requester_api, query=query)
    assert status == 200, body
    assert ids_of(body) == {str(certs[k].pk) for k in expected}, (query, body)


def test_serial_and_holder_id_find_a_certificate_however_the_serial_is_written(
    requester_api, certs
):
    web = certs["web"]
    colons = ":".join(web.serial[i : i + 2] for i in range(0, len(web.serial), 2)).upper()
    for query in (f'serial = "{colons}"', f"holderid = {web.holder_id} and status is valid"):
        status, body = search_certificates(requester_api, query=query)
        assert status == 200 and ids_of(body) == {str(web.pk)}, (query, body)


def test_search_results_parse_with_the_clients_model_with_permissions(approver_api, certs):
    status, body = search_certificates(
        approver_api, withCount=True, sortedBy=[{"element": "dn", "order": "Asc"}]
    )
    assert status == 200, body
    parsed = CertificateSearchResultsResponse.from_json(json.dumps(body))
    assert [r.dn for r in parsed.results] == ["CN=old.example.com", "CN=web.example.com"]
    assert parsed.results[0].revocation_reason == "superseded"
    assert isinstance(parsed.results[0].revocation_date, int)
    assert parsed.results[1].permissions.enroll is True
    assert parsed.count == 2 and parsed.has_more is False


def test_search_results_never_carry_the_escrowed_key(requester_api, certs):
    status, body = search_certificates(requester_api, query="certificate is escrowed")
    assert status == 200 and body["results"][0]["escrowed"] is True, body
    assert "privateKey" not in body["results"][0], body


def test_a_bad_certificate_query_is_refused_with_hql_001(requester_api, certs):
    status, body = search_certificates(requester_api, query="san contains example")
    assert status == 400 and body["error"] == "HQL-001", body
    assert "unknown field 'san'" in body["detail"], body


def test_a_malformed_certificate_search_body_is_refused_with_cert_search_002(requester_api, certs):
    status, body = search_certificates(requester_api, pageSize="10")
    assert status == 400 and body["error"] == "CERT-SEARCH-002", body


def test_certificate_reads_need_credentials(api_as, certs):
    status, body = api_as().get(f"/api/v1/certificates/{certs['web'].pk}")
    assert status == 401 and body["error"] == "SEC-AUTH-009", body
    status, body = api_as().post("/api/v1/certificates/search", {})
    assert status == 401 and body["error"] == "SEC-AUTH-009", body
