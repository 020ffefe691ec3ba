"""Editing a trigger while an event fires it never deadlocks (PostgreSQL): the event takes the
audit chain's head, then its run's foreign key takes FOR KEY SHARE on the trigger; the edit
holds the trigger FOR NO KEY UPDATE (which lets that through) while it waits for the head."""

import threading
import time

import pytest
from django.db import connection, transaction

import raportal.models as audit
from administration.services import triggers as services
from raportal.models import record
from tests.factories import UserFactory
from tests.triggers.conftest import email_trigger
from triggers.firing import fire
from triggers.models import Trigger, TriggerRun


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_editing_a_trigger_while_an_event_fires_it_does_not_deadlock(postgres_only, monkeypatch):
    admin = UserFactory(username="adm", is_staff=True)
    trigger = services.create_trigger(
        admin, email_trigger("m", "on_submit_enroll", title="t")
    ).trigger
    locked, headed, errors = threading.Event(), threading.Event(), []
    append = audit._append

    def append_once_the_event_holds_the_head(events, *, using):
        if threading.current_thread().name == "admin":  # holds the trigger's lock by now
            locked.set()
            headed.wait(5)
        return append(events, using=using)

    monkeypatch.setattr(audit, "_append", append_once_the_event_holds_the_head)

    def edit():
        try:
            services.update_trigger(
                admin,
                Trigger.objects.get(pk=trigger.pk),
                email_trigger("m", "on_submit_enroll", title="t2"),
            )
        except Exception as exc:
            errors.append(("edit", exc))
        finally:
            connection.close()

    def event():
        try:
            locked.wait(5)
            with transaction.atomic():
                record(None, "request.submit.enroll", trigger, step=1)  # the head
                headed.set()
                time.sleep(0.2)
                fire("on_submit_enroll", None, {}, request_id="r", triggers=[trigger])
        except Exception as exc:
            errors.append(("event", exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, name="admin"), threading.Thread(target=event)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Trigger.objects.get(pk=trigger.pk).definition["emailTemplate"]["title"] == "t2"
    assert TriggerRun.objects.filter(request_id="r").count() == 1
