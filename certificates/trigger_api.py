"""``PATCH /api/v1/certificates/run/{id}/{triggerName}/{event}`` (Horizon's
``certificate.run``): runs a failed trigger of the certificate again; answers the
certificate with its permissions and triggerResults."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.models import Certificate
from certificates.read_api import certificate_with_permissions, not_found
from certificates.trigger_runs import rerun_certificate_trigger
from raportal.api.schema import OBJECT, answers


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
