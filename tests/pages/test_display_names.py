"""Teams and profiles are shown by their display names with the technical name on hover,
and certificates by CN and short serial with a link, on the request page (issue 17)."""

from profiles.models import Profile
from requests_app.models import Request
from tests.approvals.test_queue import submit


def test_the_request_page_names_profile_and_team_and_links_the_certificate(
    issue, team, approver, client
):
    Profile.objects.filter(name="webra-demo").update(display_name="Web servers")
    team.display_name = "Demo team"
    team.save()
    certificate = issue("web.example.com", team={"value": "demo-team"})
    request = Request.objects.get(certificate_id=certificate["_id"])
    client.force_login(approver)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert '<abbr class="tech-name" title="webra-demo">Web servers</abbr>' in page, page
    assert '<abbr class="tech-name" title="demo-team">Demo team</abbr>' in page, page
    serial = certificate["serial"].lower()
    assert (
        f'<a href="/certificates/{certificate["_id"]}/">web.example.com '
        f'<code class="serial" title="serial {serial}">{serial[:8]}…</code></a>'
    ) in page, page


def test_the_request_history_links_the_certificate_the_approval_issued(
    profile, requester_api, approver, client
):
    request_id = submit(requester_api, "web.example.com")
    client.force_login(approver)
    client.post(f"/approvals/{request_id}/", {"decision": "approve", "comment": ""})
    certificate = Request.objects.get(pk=request_id).certificate
    assert certificate is not None
    history = client.get(f"/requests/{request_id}/").content.decode().split(">History</h2>")[1]
    assert (
        f'approved by approver: certificate <a href="/certificates/{certificate.pk}/">'
        "web.example.com"
    ) in history, history
