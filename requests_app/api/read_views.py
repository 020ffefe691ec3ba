"""The read side of the request API: search (HRQL) and the profiles a caller may use."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from hrql import page
from hrql.fields import QueryError
from hrql.parser import to_q
from raportal.api.schema import LIST_OF_OBJECTS, OBJECT, answers
from raportal.errors import DomainError, invalid_request
from requests_app.api.requestable_profiles import requestable_profiles
from requests_app.search.request_fields import (
    DEFAULT_REQUEST_ORDER,
    REQUEST_FIELDS,
    REQUEST_SORTS,
)
from requests_app.search.request_results import DEFERRED, RELATED, search_result_json
from requests_app.search.scopes import RequestPermissions, requests_in_scope


def bad_search(detail: str) -> DomainError:
    return DomainError("REQ-006", detail)


@extend_schema(request=OpenApiTypes.OBJECT, responses=answers(OBJECT, 400, 413))
class RequestSearchView(APIView):
    """``POST /api/v1/requests/search``: the client's RequestSearchQuery → its
    RequestSearchResultsResponse. Query language: ``hrql.parser``."""

    def post(self, request: ApiRequest) -> Response:
        search = page.read_search_body(request.data, bad_search)
        try:
            condition = to_q(search.query, REQUEST_FIELDS)
        except QueryError as exc:
            raise DomainError("HQL-001", str(exc)) from None
        order = page.ordering(search, REQUEST_SORTS, DEFAULT_REQUEST_ORDER, bad_search)
        queryset = (
            requests_in_scope(request.user, search.scope)
            .filter(condition)
            .select_related(*RELATED)
            .defer(*DEFERRED)
            .order_by(*order)
        )
        rows, has_more, count = page.one_page(queryset, search)
        permissions = RequestPermissions.of_user(request.user)
        results = [
            page.project(
                search_result_json(row, permissions), search.fields, ("_id", "permissions")
            )
            for row in rows
        ]
        return Response(page.results_json(results, search, has_more, count))


class RequestableProfilesView(APIView):
    """``GET /api/v1/requests/profiles?module=&workflow=``: the client's list of
    RequestableCertificateProfileResponse."""

    @extend_schema(
        parameters=[OpenApiParameter("module", str), OpenApiParameter("workflow", str)],
        responses=answers(LIST_OF_OBJECTS),
    )
    def get(self, request: ApiRequest) -> Response:
        module = request.query_params.get("module") or None
        workflow = request.query_params.get("workflow") or None
        return Response(requestable_profiles(request.user, module, workflow))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=answers(LIST_OF_OBJECTS, 400))
    def post(self, request: ApiRequest) -> Response:
        """The same list, the query in a JSON body: ``{"module": …, "workflow": …}``."""
        body = request.data
        if not isinstance(body, dict):
            raise invalid_request("the body must be a JSON object: {module, workflow}")
        query = {}
        for name in ("module", "workflow"):
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise invalid_request(f"{name} must be a string")
            query[name] = value or None
        return Response(requestable_profiles(request.user, query["module"], query["workflow"]))
