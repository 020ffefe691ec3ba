"""A certificate renewed already says by which one, as a link on the pages and by CN and
serial in the API (issue 17: no raw UUID in "already renewed (104229f5-…)")."""

import datetime as dt

from django.utils import timezone

from certificates.models import Certificate
from tests.requests_app.test_renew import renew


def renewed_once(issue, approver, approver_api):
    old = issue("web.example.com", owned_by=approver)
    Certificate.objects.filter(pk=old["_id"]).update(
        not_after=timezone.now() + dt.timedelta(days=10)
    )
    status, body = renew(approver_api, old)
    assert status == 201, body
    return old, Certificate.objects.get(pk=body["certificate"]["_id"])


def test_the_renew_action_of_a_renewed_certificate_links_its_successor(
    issue, approver, approver_api, client
):
    old, new = renewed_once(issue, approver, approver_api)
    client.force_login(approver)
    page = client.get(f"/certificates/{old['_id']}/").content.decode()
    assert (
        f'already renewed by <a href="/certificates/{new.pk}/">web.example.com '
        f'<code class="serial" title="serial {new.serial}">{new.serial[:8]}…</code></a>'
    ) in page, page
    assert f"({new.pk})" not in page, page


def test_the_api_names_the_successor_by_cn_and_serial(issue, approver, approver_api):
    old, new = renewed_once(issue, approver, approver_api)
    status, body = renew(approver_api, old)
    assert (status, body["error"]) == (400, "WEBRA-RENEW-006"), body
    assert body["detail"] == (
        f"this certificate was already renewed by web.example.com (serial {new.serial})"
    ), body
