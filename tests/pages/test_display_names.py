"""Teams and profiles are shown by their display names with the technical name on hover,
and certificates by CN and short serial with a link, on the request page (issue 17)."""

from profiles.models import Profile
from requests_app.models import Request


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
