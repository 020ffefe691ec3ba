"""``PATCH /api/v1/certificates/run/{id}/{triggerName}/{event}`` (Horizon's
``certificate.run``): runs a failed trigger of the certificate again; answers the
certificate with its permissions and triggerResults."""

import uuid

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.models import Certificate
from certificates.read_api import certificate_with_permissions, not_found
from profiles.access import certificate_level
from profiles.models import GrantLevel
from raportal.api.schema import OBJECT, answers
from raportal.callers import is_administrator
from raportal.errors import forbidden
from raportal.models import record
from triggers.models import TriggerRun
from triggers.reruns import rerun_latest, workflow_of


def may_rerun_certificate_trigger(user, certificate: Certificate, event: str) -> bool:
    """Who may run the certificate's triggers on ``event`` again (and read their details on
    its page): an administrator, or who holds perform on it for the event's workflow."""
    return is_administrator(user) or (
        certificate_level(user, certificate, workflow_of(event)) == GrantLevel.PERFORM
    )


def rerun_certificate_trigger(user, certificate: Certificate, name: str, event: str) -> None:
    """The service: checks who may, then queues the run again (audited on the certificate)."""
    if not may_rerun_certificate_trigger(user, certificate, event):
        raise forbidden(f"running triggers on {event} needs perform on this profile")
    with transaction.atomic():
        rerun_latest(TriggerRun.objects.of_certificate(certificate.pk), name, event)
        record(user, "trigger.rerun", certificate, name=name, event=event)


class CertificateTriggerRunView(APIView):
    @extend_schema(
        operation_id="certificate_run", request=None, responses=answers(OBJECT, 400, 403, 404)
    )
    def patch(self, request: ApiRequest, certificate_id: uuid.UUID, name: str, event: str):
        certificate = (
            Certificate.objects.visible_to(request.user)
            .select_related("profile")
            .filter(pk=certificate_id)
            .first()
        )
        if certificate is None:
            raise not_found()
        rerun_certificate_trigger(request.user, certificate, name, event)
        certificate.refresh_from_db()
        return Response(certificate_with_permissions(request.user, certificate))
