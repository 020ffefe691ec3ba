"""The list pages: a search box (``?q=``) over some text fields, and pages of rows."""

from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from raportal.query_strings import QueryField, QueryForm


class SearchQuery(QueryForm):
    q = QueryField(label="Search")


def search_page(
    request, query: SearchQuery, rows, searched: tuple[str, ...], page_size: int, template: str
):
    """Renders ``template`` with the page (``?page=``) of ``rows`` in which one of the
    ``searched`` fields contains ``?q=`` (all of them without a search), and the search; a
    search that cannot be read is shown with its error, status 400 and no rows."""
    q = query.value("q").strip()
    if not query.is_valid():
        rows = rows.none()
    elif q:
        rows = rows.filter(reduce(or_, (Q(**{f"{field}__icontains": q}) for field in searched)))
    page = Paginator(rows, page_size).get_page(query.value("page"))
    return render(
        request, template, {"page": page, "q": q, "query": query}, status=query.page_status
    )
