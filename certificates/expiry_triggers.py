"""Profiles' ``onExpire`` triggers: each fires once per certificate when the certificate's
notAfter comes within the trigger's ``runPeriod`` (``30 days``), for certificates that are
neither revoked nor expired, nor renewed unless the trigger says ``runOnRenewed``.

Once: the run's dedupe key (``expire:<certificate>``) is unique, so running the scan twice,
after a restart, or in two workers at once records one run per trigger and certificate.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate
from certificates.trigger_dictionary import certificate_dictionary
from profiles.models import Profile
from triggers.delivery.rest import seconds_of
from triggers.events import EXPIRE
from triggers.firing import fire, triggers_for
from triggers.models import TriggerRun


def fire_expiry_triggers(now: dt.datetime | None = None) -> int:
    """Records (and queues) the due onExpire runs; returns how many were recorded."""
    now = now or timezone.now()
    recorded = 0
    for profile in Profile.objects.exclude(triggers={}).order_by("pk"):
        for trigger in triggers_for(profile.triggers, EXPIRE):
            within = dt.timedelta(seconds=seconds_of(trigger.run_period, 0))
            due = (
                (
                    Certificate.objects.valid(now).filter(not_after__lte=now + within)
                    if trigger.run_on_renewed
                    else Certificate.objects.expiring(within, now)
                )
                .filter(profile=profile)
                .select_related("profile", "owner", "team", "ca")
                .order_by("not_after")
            )
            done = set(
                TriggerRun.objects.filter(trigger=trigger, event=EXPIRE).values_list(
                    "certificate_id", flat=True
                )
            )
            for cert in due.iterator(chunk_size=200):
                if str(cert.pk) in done:
                    continue
                with transaction.atomic():
                    recorded += len(
                        fire(
                            EXPIRE,
                            None,
                            certificate_dictionary(cert),
                            certificate_id=cert.pk,
                            dedupe=f"expire:{cert.pk}",
                            triggers=[trigger],
                        )
                    )
    return recorded
