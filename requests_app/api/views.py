"""The Horizon request API: submit, approve, deny, cancel, get."""

from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from certificates import pop
from raportal.api.schema import OBJECT, answers
from requests_app import services
from requests_app.api import inputs
from requests_app.api.inputs import parse
from requests_app.api.outputs import request_json
from requests_app.workflows import handler_for


# Every workflow's body extends SubmitInput (the envelope); the rest depends on module +
# workflow (the contract's oneOf), which the workflow's own serializer checks.
@extend_schema(
    request=inputs.SubmitInput,
    responses=answers(OBJECT, 400, 403, 404, 413, ok_status=201),
    parameters=[
        OpenApiParameter(
            pop.HEADER,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="Proof of possession (certificates/pop.py): a JWS signed with a "
            "certificate's key, the certificate in its sub claim. Alone, it authenticates a "
            "renew, revoke or update of that certificate where its profile allows it; beside "
            "API credentials, it adds those rights. Refused tokens answer 400 SEC-AUTH-010, "
            "with a Replay-Nonce header when a retry with that nonce can succeed.",
        )
    ],
    examples=[
        OpenApiExample(
            "Enroll with a generated key (dry run, on the demo profile)",
            request_only=True,
            value={
                "profile": "webra-demo",
                "module": "webra",
                "workflow": "enroll",
                "template": {
                    "keyType": "ec-secp256r1",
                    "subject": [{"element": "cn.1", "value": "www.example.com"}],
                },
                "password": {"value": "Example-Pkcs12-Passw0rd"},
                "dryRun": True,
            },
        )
    ],
)
class SubmitView(APIView):
    """Submit a request (every workflow of the contract's RequestSubmitRequest).

    The one endpoint that reads ``X-JWT-CERT-POP`` (certificates/pop.py): a proof of
    possession alone authenticates the call (renew, revoke, update of the proven certificate,
    where its profile allows it); beside API credentials, it adds those rights to the
    account's."""

    authentication_classes = [
        # api_settings imports the dotted paths it is given; its stubs type them as strings.
        *cast("list[type[BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES),
        pop.PopAuthentication,
    ]

    def post(self, request: ApiRequest) -> Response:
        envelope = parse(inputs.EnvelopeInput, request.data)
        handler = handler_for(envelope["module"], envelope["workflow"])
        data = parse(handler.submit_serializer, request.data)
        outcome = services.request_submit(pop.with_proof(request), handler, data)
        return secret_aware(Response(request_json(outcome, request.user), status=201), outcome)


@extend_schema(
    request=inputs.TemplateInput,
    responses=answers(OBJECT, 400, 403, 404, 413),
    examples=[
        OpenApiExample(
            "What an enrollment on the demo profile may ask for",
            request_only=True,
            value={"module": "webra", "workflow": "enroll", "profile": "webra-demo"},
        )
    ],
)
class TemplateView(APIView):
    """What may be asked for with a workflow on a profile (the client's *OnTemplateResponse)."""

    def post(self, request: ApiRequest) -> Response:
        data = parse(inputs.TemplateInput, request.data)
        handler = handler_for(data["module"], data["workflow"])
        return Response(
            services.request_template(
                request.user,
                handler,
                profile=data.get("profile"),
                certificate_id=data.get("certificateId"),
                certificate_pem=data.get("certificatePem"),
                template=data.get("template"),
            )
        )


@extend_schema(request=inputs.ApproveInput, responses=answers(OBJECT, 400, 403, 404, 413))
class ApproveView(APIView):
    def post(self, request: ApiRequest) -> Response:
        data = parse(inputs.ApproveInput, request.data)
        outcome = services.request_approve(
            request.user,
            data["_id"],
            module=data.get("module"),
            workflow=data.get("workflow"),
            template=data.get("template"),
            approver_comment=data.get("approverComment"),
            dry_run=bool(data.get("dryRun")),
        )
        return Response(request_json(outcome, request.user))


@extend_schema(request=inputs.DenyInput, responses=answers(OBJECT, 400, 403, 404, 413))
class DenyView(APIView):
    def post(self, request: ApiRequest) -> Response:
        data = parse(inputs.DenyInput, request.data)
        outcome = services.request_deny(
            request.user,
            data["_id"],
            module=data.get("module"),
            workflow=data.get("workflow"),
            approver_comment=data.get("approverComment"),
        )
        return Response(request_json(outcome, request.user))


@extend_schema(request=inputs.CancelInput, responses=answers(OBJECT, 400, 403, 404, 413))
class CancelView(APIView):
    def post(self, request: ApiRequest) -> Response:
        data = parse(inputs.CancelInput, request.data)
        outcome = services.request_cancel(
            request.user, data["_id"], module=data.get("module"), workflow=data.get("workflow")
        )
        return Response(request_json(outcome, request.user))


# A request's _id is a UUID; other words reach the sibling routes (search, profiles…).
@extend_schema(
    parameters=[OpenApiParameter("request_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    responses=answers(OBJECT, 403, 404),
)
class RequestDetailView(APIView):
    def get(self, request: ApiRequest, request_id: str) -> Response:
        # The one-time PKCS#12 goes out on a real GET only: not on HEAD (no body would carry
        # it), nor on a cross-site navigation riding a browser session.
        deliver = request.method == "GET" and request.headers.get("Sec-Fetch-Site") != "cross-site"
        outcome = services.request_get(request.user, request_id, deliver_secrets=deliver)
        return secret_aware(Response(request_json(outcome, request.user)), outcome)


def secret_aware(response: Response, outcome: services.Outcome) -> Response:
    """Answers that carry a PKCS#12 or its password must not be stored by any cache."""
    if outcome.secrets is not None:
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
    return response
