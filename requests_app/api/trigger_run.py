"""``PATCH /api/v1/requests/run/{id}/{triggerName}/{event}``: runs a failed trigger of the
request again (as ``certificates/run`` does for a certificate: certificates/trigger_api.py);
answers the request, its ``triggerResults`` showing the run waiting again."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from raportal.api.schema import OBJECT, answers
from requests_app import services
from requests_app.api.outputs import request_json
from requests_app.trigger_runs import rerun_request_trigger


class RequestTriggerRunView(APIView):
    @extend_schema(
        operation_id="request_run", request=None, responses=answers(OBJECT, 400, 403, 404)
    )
    def patch(self, request: ApiRequest, request_id: str, name: str, event: str) -> Response:
        outcome = services.request_get(request.user, request_id, deliver_secrets=False)
        rerun_request_trigger(request.user, outcome.request, name, event)
        return Response(request_json(outcome, request.user))
