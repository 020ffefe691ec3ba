"""The audit log reads as sentences (issue 17): whole action names, objects by their names
with links, the actor and how it signed in, and what changed as before → after."""

import re
from pathlib import Path

from django.conf import settings

from administration.services import labels, teams
from certificates.models import Certificate
from raportal.models import AuditEvent
from requests_app.models import Request
from triggers.models import Trigger


def row_of(page: str, action: str) -> str:
    """The first row of the log whose action is ``action``."""
    dotted = action.replace(".", ".<wbr>")
    for row in page.split('<td class="text-nowrap">')[1:]:
        if f'<code class="dotted">{dotted}</code>' in row:
            return row
    raise AssertionError(f"no row for {action}:\n{page}")


def test_action_names_break_only_after_their_dots(signed_in, staff):
    AuditEvent.objects.create(
        actor=staff, action="request.approve.renew", object_type="user", object_id=str(staff.pk)
    )
    page = signed_in.get("/manage/audit/").content.decode()
    assert '<code class="dotted">request.<wbr>approve.<wbr>renew</code>' in page, page
    # The portal breaks <code> anywhere (long serials, PEM); not these.
    css = (Path(settings.BASE_DIR) / "static/css/portal.css").read_text()
    assert re.search(r"code\.dotted \{[^}]*word-break: normal", css), css


def test_objects_are_shown_by_their_names_with_links(signed_in, staff, issue, team):
    certificate = Certificate.objects.get(pk=issue("web.example.com")["_id"])
    request = Request.objects.get(certificate=certificate)
    team.display_name = "Demo team"
    team.save()
    trigger = Trigger.objects.create(name="mail-ops", type="email", event="certificate.expiry")
    for kind, pk in (("team", team.pk), ("trigger", trigger.pk)):
        AuditEvent.objects.create(
            actor=staff, action=f"{kind}.update", object_type=kind, object_id=str(pk)
        )
    page = signed_in.get("/manage/audit/").content.decode()

    issued = row_of(page, "certificate.issue")
    assert f'<a href="/certificates/{certificate.pk}/">web.example.com' in issued, issued
    assert f'title="serial {certificate.serial}">{certificate.serial[:8]}…</code>' in issued
    submitted = row_of(page, "request.submit.enroll")
    assert f'<a href="/requests/{request.pk}/">enroll request' in submitted, submitted
    assert f">{str(request.pk)[:8]}</code>" in submitted, submitted
    team_row = row_of(page, "team.update")
    assert '<a href="/manage/teams/demo-team/">' in team_row, team_row
    assert '<abbr class="tech-name" title="demo-team">Demo team</abbr>' in team_row, team_row
    trigger_row = row_of(page, "trigger.update")
    assert f'<a href="/manage/triggers/{trigger.pk}/">' in trigger_row and "mail-ops" in trigger_row


def test_a_deleted_object_is_named_from_its_event_without_a_link(signed_in, staff):
    label = labels.create_label(staff, name="env")
    labels.delete_label(staff, label)
    row = row_of(signed_in.get("/manage/audit/").content.decode(), "label.delete")
    assert 'env <span class="text-muted">(no longer exists)</span>' in row, row
    assert "/manage/labels/env/" not in row, row


def test_the_actor_is_the_account_with_the_api_key_it_used(signed_in, approver, issue):
    issue("web.example.com")  # by the approver's API key
    row = row_of(signed_in.get("/manage/audit/").content.decode(), "certificate.issue")
    assert f'<a href="/manage/accounts/{approver.pk}/">approver</a>' in row, row
    assert "API key approver" in row, row


def test_an_actor_without_an_account_is_named_with_its_protocol(signed_in):
    AuditEvent.objects.create(
        actor=None,
        action="request.challenge.redeem",
        object_type="request",
        object_id="x",
        detail={"principal": "est device (192.0.2.7)", "authentication": "est basic"},
    )
    row = row_of(signed_in.get("/manage/audit/").content.decode(), "request.challenge.redeem")
    assert "est device (192.0.2.7)" in row and "est basic" in row, row
    assert "principal</span>=" not in row, row  # not said twice


def test_a_change_is_shown_as_before_and_after(signed_in, staff):
    team = teams.create_team(staff, name="web", display_name="Web")
    teams.update_team(
        staff,
        team,
        display_name="<b>Web servers</b>",
        description="",
        contact_email="",
        managers=[staff],
    )
    row = row_of(signed_in.get("/manage/audit/").content.decode(), "team.update")
    changes = row.split('<table class="audit-changes"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r'display name</th><td class="before"><div>Web</div></td><td class="after">'
        r'<div><span aria-hidden="true">→ </span>&lt;b&gt;Web servers&lt;/b&gt;</div></td>',
        changes,
    ), changes
    assert re.search(
        r'managers</th><td class="before"><div>none</div></td><td class="after">'
        r"<div>.*admin</div></td>",
        changes,
    ), changes


def test_a_long_list_shows_only_the_lines_that_went_and_came(signed_in, staff, profile):
    rules = [f"element=ou.{n} editable_by_requester" for n in range(1, 6)]
    AuditEvent.objects.create(
        actor=staff,
        action="profile.update",
        object_type="profile",
        object_id=str(profile.pk),
        detail={"changes": {"subject_rules": [rules, [*rules[:4], "element=ou.5 mandatory"]]}},
    )
    row = row_of(signed_in.get("/manage/audit/").content.decode(), "profile.update")
    assert "element=ou.1" not in row, row
    assert '<span aria-hidden="true">\u2212 </span>element=ou.5 editable_by_requester</div>' in row
    assert '<span aria-hidden="true">+ </span>element=ou.5 mandatory</div>' in row, row
