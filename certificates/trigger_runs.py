"""Running a certificate's failed trigger again (Horizon's ``certificate.run``): who may, and
the service behind the certificate page's "Run again" and the API."""

from certificates.models import Certificate
from profiles.access import certificate_level
from profiles.models import GrantLevel
from raportal.callers import is_administrator
from triggers.models import TriggerRun
from triggers.reruns import rerun_audited, workflow_of


def may_rerun_certificate_trigger(user, certificate: Certificate, event: str) -> bool:
    """Who may run the certificate's triggers on ``event`` again (and read their details on
    its page): an administrator, or who holds perform on it for the event's workflow."""
    return is_administrator(user) or (
        certificate_level(user, certificate, workflow_of(event)) == GrantLevel.PERFORM
    )


def rerun_certificate_trigger(user, certificate: Certificate, name: str, event: str) -> None:
    """The service: checks who may, then queues the run again (audited on the certificate)."""
    allowed = may_rerun_certificate_trigger(user, certificate, event)
    runs = TriggerRun.objects.of_certificate(certificate.pk)
    rerun_audited(user, certificate, runs, name, event, allowed=allowed)
