"""What request and certificate searches share: the body (the client's ``RequestSearchQuery`` /
``CertificateSearchQuery``), sorting, one page of rows, and the results envelope.

``pageIndex`` is 1-based, as in the client (its default is 1); ``pageSize`` defaults to 50
and is capped at ``MAX_PAGE_SIZE`` (the answer's ``pageSize`` says what was used). ``count``
is computed only with ``withCount: true``. ``fields`` keeps only the named keys of each
result (``_id`` always, and ``permissions`` where the model requires it).
"""

from dataclasses import dataclass, field

from rest_framework import serializers

from raportal.api.problems import flatten_errors
from raportal.api.strict_fields import StrictBooleanField, StrictCharField, StrictIntegerField

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
SORT_ORDERS = {"Asc": "", "Desc": "-", "KeyAsc": "", "KeyDesc": "-"}


class SortElementInput(serializers.Serializer):
    element = StrictCharField(max_length=64)
    order = serializers.ChoiceField(choices=list(SORT_ORDERS))


class SearchBodyInput(serializers.Serializer):
    query = StrictCharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    # DRF's metaclass takes declared fields out of the class: this does not shadow
    # Serializer.fields, which the stubs cannot know.
    fields = serializers.ListField(  # type: ignore[assignment]
        child=StrictCharField(max_length=64), required=False, allow_null=True, max_length=100
    )
    sortedBy = serializers.ListField(
        child=SortElementInput(), required=False, allow_null=True, max_length=10
    )
    # Bounded so that the offset stays an integer the databases can take.
    pageIndex = StrictIntegerField(
        required=False, allow_null=True, min_value=1, max_value=1_000_000
    )
    pageSize = StrictIntegerField(required=False, allow_null=True, min_value=1)
    withCount = StrictBooleanField(required=False, allow_null=True)
    scope = serializers.ChoiceField(
        choices=["self", "manage", "search"], required=False, allow_null=True
    )


@dataclass
class SearchQuery:
    query: str | None = None
    fields: list[str] | None = None
    order: list[tuple[str, str]] = field(default_factory=list)  # (element, "" | "-")
    page_index: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    with_count: bool = False
    scope: str | None = None


def read_search_body(data, error) -> SearchQuery:
    """The search a body asks for; ``error(detail)`` builds the exception for a bad body."""
    if not isinstance(data, dict):
        raise error("expected a JSON object")
    serializer = SearchBodyInput(data=data)
    if not serializer.is_valid():
        raise error("; ".join(flatten_errors(serializer.errors)))
    body = serializer.validated_data
    return SearchQuery(
        query=body.get("query"),
        fields=body.get("fields"),
        order=[(s["element"], SORT_ORDERS[s["order"]]) for s in body.get("sortedBy") or []],
        page_index=body.get("pageIndex") or 1,
        page_size=min(body.get("pageSize") or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        with_count=bool(body.get("withCount")),
        scope=body.get("scope"),
    )


def ordering(search: SearchQuery, sorts: dict[str, str], default: list[str], error) -> list[str]:
    """ORDER BY for ``sortedBy``, always ending with the primary key so pages are stable."""
    if not search.order:
        return default
    order = []
    for element, sign in search.order:
        column = sorts.get(element)
        if column is None:
            raise error(f"sortedBy: cannot sort by {element!r} (use {', '.join(sorts)})")
        order.append(sign + column)
    return [*order, "pk"]


def one_page(queryset, search: SearchQuery) -> tuple[list, bool, int | None]:
    """The rows of the asked page, whether more follow, and the total when asked for."""
    start = (search.page_index - 1) * search.page_size
    rows = list(queryset[start : start + search.page_size + 1])
    has_more = len(rows) > search.page_size
    count = queryset.count() if search.with_count else None
    return rows[: search.page_size], has_more, count


def results_json(results: list[dict], search: SearchQuery, has_more: bool, count) -> dict:
    body = {
        "results": results,
        "pageIndex": search.page_index,
        "pageSize": search.page_size,
        "hasMore": has_more,
    }
    if count is not None:
        body["count"] = count
    return body


def project(item: dict, fields: list[str] | None, always: tuple[str, ...]) -> dict:
    """Only the asked ``fields`` (plus ``always``); every key when ``fields`` is absent."""
    if fields is None:
        return item
    keep = set(fields) | set(always)
    return {key: value for key, value in item.items() if key in keep}
