"""Expiry notices (issue 15 part 2): at each threshold of its profile (30, 7, 1 days by
default) the owner of a certificate, the members of its team and its contact hear of it once —
however often the task runs, and with two workers at once — in one digest per recipient; not
for revoked, renewed or expired certificates. The clock is moved with time-machine."""

import datetime as dt
import smtplib
import threading

import pytest
import time_machine
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from certificates import expiry_notices, tasks
from certificates.expiry_notices import send_expiry_notices
from certificates.models import Certificate, ExpiryNotice, NoticeState
from certificates.renewal import mark_renewed
from raportal.models import AuditEvent
from tests.factories import TeamFactory, UserFactory
from tests.read_side import make_certificate

DAY = dt.timedelta(days=1)


def before_expiry(certificate: Certificate, days: float):
    """The clock, ``days`` before the certificate's notAfter."""
    return time_machine.travel(certificate.not_after - days * DAY, tick=False)


def run() -> expiry_notices.Summary:
    return send_expiry_notices()


def notices(certificate: Certificate) -> dict[int, str]:
    return dict(
        ExpiryNotice.objects.filter(certificate=certificate).values_list("threshold_days", "state")
    )


@pytest.fixture
def owner(db):
    return UserFactory(username="alice")


@pytest.fixture
def certificate(profile, owner):
    return make_certificate(profile, "web.example.com", owner=owner)


def test_nothing_is_sent_while_no_threshold_is_crossed(certificate, mailoutbox):
    with before_expiry(certificate, 31):
        assert run().sent == 0
    assert mailoutbox == [] and not ExpiryNotice.objects.exists()


def test_the_30_day_notice_is_sent_once_however_often_the_task_runs(certificate, owner, mailoutbox):
    with before_expiry(certificate, 29.5):
        summary = run()
        assert (summary.sent, summary.mails) == (1, 1)
        for _ in range(3):
            assert run().sent == 0
        tasks.send_expiry_notices.delay().get()
        call_command("send_expiry_notices", stdout=open("/dev/null", "w"))  # noqa: SIM115
    [mail] = mailoutbox
    assert mail.to == [owner.email]
    assert "1 certificate expires within 30 days" in mail.subject
    body = mail.body
    assert certificate.dn in body and certificate.serial in body
    assert f"{certificate.not_after:%Y-%m-%d %H:%M} UTC" in body and "in 30 days" in body
    assert "profile webra-demo" in body
    assert f"http://ra.test.example/certificates/{certificate.pk}/" in body
    assert f"http://ra.test.example/certificates/{certificate.pk}/renew/" in body
    assert notices(certificate) == {30: NoticeState.SENT}


def test_each_threshold_is_sent_once_as_the_clock_moves(certificate, mailoutbox):
    for days, threshold in ((29, 30), (25, 30), (6.5, 7), (3, 7), (0.5, 1), (0.1, 1)):
        with before_expiry(certificate, days):
            run()
            run()
        assert notices(certificate)[threshold] == NoticeState.SENT
    assert [m.subject.split("within ")[1] for m in mailoutbox] == ["29 days", "7 days", "1 day"]
    assert [m.body.count("-day notice)") for m in mailoutbox] == [1, 1, 1]
    assert "(30-day notice)" in mailoutbox[0].body and "(1-day notice)" in mailoutbox[2].body
    assert notices(certificate) == {30: "sent", 7: "sent", 1: "sent"}
    events = AuditEvent.objects.filter(action="certificate.expiry_notice").order_by("at")
    assert [e.detail["threshold"] for e in events] == [30, 7, 1]
    assert all(e.object_id == str(certificate.pk) and e.actor is None for e in events)


def test_a_certificate_first_seen_with_5_days_left_gets_the_7_day_notice_only(
    certificate, mailoutbox
):
    with before_expiry(certificate, 5):
        summary = run()
        run()
    assert (summary.sent, summary.skipped) == (1, 1)
    [mail] = mailoutbox
    assert "within 5 days" in mail.subject and "(7-day notice)" in mail.body
    assert notices(certificate) == {30: NoticeState.SKIPPED, 7: NoticeState.SENT}
    event = AuditEvent.objects.get(action="certificate.expiry_notice")
    assert event.detail["skipped"] == [30] and event.detail["daysLeft"] == 5


def test_revoked_renewed_and_expired_certificates_get_no_notice(profile, owner, mailoutbox):
    revoked = make_certificate(profile, "revoked.example.com", owner=owner)
    Certificate.objects.filter(pk=revoked.pk).update(
        revocation_date=timezone.now(), revocation_reason="superseded"
    )
    renewed = make_certificate(profile, "renewed.example.com", owner=owner)
    successor = make_certificate(profile, "renewed.example.com", owner=owner)
    mark_renewed(renewed, successor)
    Certificate.objects.filter(pk=successor.pk).update(not_after=timezone.now() + 400 * DAY)
    with before_expiry(renewed, 3):
        assert run().sent == 0
    with before_expiry(renewed, -1):  # all of them expired
        assert run().sent == 0
    assert mailoutbox == [] and not ExpiryNotice.objects.exists()


def test_one_digest_per_recipient_lists_all_their_certificates(profile, owner, mailoutbox):
    first = make_certificate(profile, "one.example.com", owner=owner)
    second = make_certificate(profile, "two.example.com", owner=owner)
    other = make_certificate(profile, "three.example.com", owner=UserFactory(username="bob"))
    # Alice as the contact of Bob's certificate, spelled otherwise: still her one digest.
    Certificate.objects.filter(pk=other.pk).update(contact_email="Alice@Example.com")
    with before_expiry(first, 6):
        summary = run()
    assert (summary.sent, summary.mails) == (3, 2)
    by_address = {m.to[0]: m for m in mailoutbox}
    assert set(by_address) == {"alice@example.com", "bob@example.com"}
    digest = by_address["alice@example.com"]
    assert first.serial in digest.body and second.serial in digest.body
    assert other.serial in digest.body and other.serial in by_address["bob@example.com"].body
    assert "3 certificates expire within" in digest.subject


def test_the_owner_the_team_members_and_the_contact_hear_of_it(profile, owner, mailoutbox):
    team = TeamFactory(name="web-ops")
    team.members.add(
        owner,  # the owner in the team too: one mail
        UserFactory(username="carol"),
        UserFactory(username="gone", is_active=False),
        UserFactory(username="mute", email=""),
    )
    certificate = make_certificate(profile, "shared.example.com", owner=owner, team=team)
    Certificate.objects.filter(pk=certificate.pk).update(contact_email="pki@example.com")
    with before_expiry(certificate, 20):
        run()
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@example.com",
        "carol@example.com",
        "pki@example.com",
    ]
    event = AuditEvent.objects.get(action="certificate.expiry_notice")
    assert sorted(event.detail["recipients"]) == sorted(m.to[0] for m in mailoutbox)


def test_the_mails_carry_no_secret(profile, owner, mailoutbox):
    certificate = make_certificate(profile, "escrowed.example.com", owner=owner, escrow=True)
    with before_expiry(certificate, 10):
        run()
    [mail] = mailoutbox
    assert "PRIVATE KEY" not in mail.body and "BEGIN" not in mail.body and not mail.attachments


def test_a_mail_failure_is_recorded_and_retried_at_the_next_run_without_duplicates(
    certificate, owner, mailoutbox, monkeypatch
):
    def refuse(self, messages):
        raise smtplib.SMTPConnectError(421, "try later")

    with before_expiry(certificate, 20):
        with monkeypatch.context() as patch:
            patch.setattr(locmem.EmailBackend, "send_messages", refuse)
            summary = run()
        assert (summary.sent, summary.failed, summary.mail_failures) == (0, 1, 1)
        notice = ExpiryNotice.objects.get(certificate=certificate)
        assert notice.state == NoticeState.FAILED and "try later" in notice.error
        failed = AuditEvent.objects.get(action="certificate.expiry_notice")
        assert failed.detail["outcome"] == "failed" and "try later" in failed.detail["error"]
        assert mailoutbox == []
        assert run().sent == 1
        assert run().sent == 0
    [mail] = mailoutbox
    assert mail.to == [owner.email]
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.error) == (NoticeState.SENT, 2, "")


def test_a_retry_mails_only_the_recipients_that_did_not_get_it(
    profile, owner, mailoutbox, monkeypatch
):
    team = TeamFactory(name="web-ops")
    team.members.add(owner, UserFactory(username="carol"))
    certificate = make_certificate(profile, "shared.example.com", owner=owner, team=team)
    send = locmem.EmailBackend.send_messages

    def refuse_carol(self, messages):
        if messages[0].to == ["carol@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"carol@example.com": (450, b"mailbox busy")})
        return send(self, messages)

    with before_expiry(certificate, 20):
        with monkeypatch.context() as patch:
            patch.setattr(locmem.EmailBackend, "send_messages", refuse_carol)
            run()
        assert [m.to for m in mailoutbox] == [["alice@example.com"]]
        run()
        run()
    assert [m.to for m in mailoutbox] == [["alice@example.com"], ["carol@example.com"]]
    notice = ExpiryNotice.objects.get(certificate=certificate)
    assert notice.state == NoticeState.SENT
    assert notice.delivered_to == ["alice@example.com", "carol@example.com"]


def test_a_notice_claimed_by_another_run_is_left_to_it_until_its_claim_is_stale(
    certificate, mailoutbox
):
    with before_expiry(certificate, 20):
        ExpiryNotice.objects.create(
            certificate=certificate,
            threshold_days=30,
            state=NoticeState.CLAIMED,
            claimed_by="another-worker",
            claimed_at=timezone.now(),
        )
        assert run().sent == 0
    with before_expiry(certificate, 18):  # the other worker died: its claim is taken over
        assert run().sent == 1
    assert len(mailoutbox) == 1


def test_the_profile_decides_the_thresholds(profile, owner, mailoutbox):
    profile.expiry_notice_days = [14]
    profile.save()
    certificate = make_certificate(profile, "web.example.com", owner=owner)
    with before_expiry(certificate, 20):
        assert run().sent == 0
    with before_expiry(certificate, 13):
        assert run().sent == 1
    with before_expiry(certificate, 1):
        assert run().sent == 0
    profile.expiry_notice_days = []
    profile.save()
    other = make_certificate(profile, "quiet.example.com", owner=owner)
    with before_expiry(other, 1):
        assert run().sent == 0
    assert len(mailoutbox) == 1


def test_a_certificate_without_a_recipient_is_recorded_sent_to_nobody(profile, mailoutbox):
    certificate = make_certificate(profile, "orphan.example.com")
    with before_expiry(certificate, 3):
        assert run().sent == 1
        assert run().sent == 0
    assert mailoutbox == []
    event = AuditEvent.objects.get(action="certificate.expiry_notice")
    assert event.detail["recipients"] == []


def test_the_command_says_what_it_did(certificate, mailoutbox, capsys):
    with before_expiry(certificate, 5):
        call_command("send_expiry_notices")
    out = capsys.readouterr().out
    assert "1 notice(s) sent in 1 mail(s), 0 failed" in out and "1 distant threshold" in out


# --- two workers at once (PostgreSQL: the claim is a row under a unique constraint) -------------

WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_workers_racing_send_each_notice_once(postgres_only, profile, mailoutbox):
    owners = [UserFactory(username=f"owner{i}") for i in range(4)]
    certificates = [
        make_certificate(profile, f"host{i}.example.com", owner=owners[i % 4]) for i in range(12)
    ]
    barrier = threading.Barrier(WORKERS)
    results, errors, lock = [], [], threading.Lock()

    def worker():
        try:
            barrier.wait()
            summary = send_expiry_notices()
            with lock:
                results.append(summary)
        except Exception as exc:
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    with before_expiry(certificates[0], 6):
        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert sum(r.sent for r in results) == 12, results
    assert sorted(m.to[0] for m in mailoutbox).count("owner0@example.com") >= 1
    mailed = [(m.to[0], serial) for m in mailoutbox for serial in _serials(m.body)]
    assert sorted(serial for _, serial in mailed) == sorted(c.serial for c in certificates)
    assert ExpiryNotice.objects.filter(state=NoticeState.SENT).count() == 12
    assert ExpiryNotice.objects.filter(state=NoticeState.SKIPPED).count() == 12
    assert AuditEvent.objects.filter(action="certificate.expiry_notice").count() == 12


@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_a_failed_notice_retry_it_once(
    postgres_only, profile, mailoutbox, monkeypatch
):
    owner = UserFactory(username="alice")
    certificate = make_certificate(profile, "web.example.com", owner=owner)
    with before_expiry(certificate, 20):
        with monkeypatch.context() as patch:
            patch.setattr(
                locmem.EmailBackend,
                "send_messages",
                lambda self, messages: (_ for _ in ()).throw(OSError("down")),
            )
            assert send_expiry_notices().failed == 1
        barrier = threading.Barrier(WORKERS)

        def worker():
            try:
                barrier.wait()
                send_expiry_notices()
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    assert ExpiryNotice.objects.get().state == NoticeState.SENT


def _serials(body: str) -> list[str]:
    return [line.split("serial ")[1] for line in body.splitlines() if "  serial " in line]
