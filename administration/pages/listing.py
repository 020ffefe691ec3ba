"""The list pages: a search box (``?q=``) over some text fields, and pages of rows."""

from functools import reduce
from operator import or_

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render


def search_page(request, rows, searched: tuple[str, ...], page_size: int, template: str):
    """Renders ``template`` with the page (``?page=``) of ``rows`` in which one of the
    ``searched`` fields contains ``?q=`` (all of them without a search), and the search."""
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(reduce(or_, (Q(**{f"{field}__icontains": q}) for field in searched)))
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    return render(request, template, {"page": page, "q": q})
