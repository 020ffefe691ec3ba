"""Query strings are read at the edge: control characters never reach a query.

A list page reads its query string with a ``QueryForm`` (``@reads_query(SomeQuery)``): a
value with a control character makes the form invalid, and the page is shown again with
status 400, the error on its field and nothing searched. Everywhere else — the API, the
Django admin, pages that read no query — ``ControlCharacterQueryMiddleware`` refuses such a
query string outright: 400 problem+json (REQ-002) under ``/api/``, a short 400 page elsewhere.
"""

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from raportal.api.middleware import API_PREFIX
from raportal.api.problems import plain_problem_response
from raportal.control_characters import problem_with, refusal

QUERY_FORM = "query_form"  # the attribute that names a view's query form


class QueryField(forms.CharField):
    """A query string value: optional text (QueryForm refuses control characters in it, as
    in its fields of any kind)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class QueryForm(forms.Form):
    """A list page's query string; ``page`` is every list's."""

    page = QueryField(label="Page", widget=forms.HiddenInput)

    def __init__(self, data: Any = None, **kwargs: Any):
        kwargs.setdefault("auto_id", "f-%s")
        super().__init__(data, **kwargs)

    def full_clean(self) -> None:
        """Cleans as usual; then a value with a control character, in a field of any kind
        (text, a choice, a date…), has that as its one error: the reason it cannot be
        searched for."""
        super().full_clean()
        if not self.is_bound:
            return
        for name in self.fields:
            raw = self[name].data
            texts = [text for text in (raw if isinstance(raw, list) else [raw]) if text]
            message = next(filter(None, (refusal(str(text)) for text in texts)), None)
            if message:
                self.errors[name] = self.error_class([message])
                self.cleaned_data.pop(name, None)

    def value(self, name: str) -> str:
        """The cleaned value of ``name`` ("" when empty or when the form is invalid)."""
        if not self.is_valid():
            return ""
        return self.cleaned_data.get(name) or ""

    @property
    def page_status(self) -> int:
        """The page's status: 400 when the query cannot be read."""
        return 200 if self.is_valid() else 400

    @property
    def params(self) -> dict[str, str]:
        """The cleaned values, for code that reads a mapping (empty when invalid)."""
        return {name: self.value(name) for name in self.fields}


def reads_query(form_class: type[QueryForm]) -> Callable:
    """Decorates a page view that reads its query string with ``form_class``: the view is
    called with ``query`` (the bound form); the middleware then leaves its query to it."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return view(request, *args, query=form_class(request.GET), **kwargs)

        setattr(wrapped, QUERY_FORM, form_class)
        return wrapped

    return decorate


def query_form_of(view: Callable) -> type[QueryForm] | None:
    """The query form a view reads its query string with, if it declares one."""
    return getattr(view, QUERY_FORM, None)


def query_problem(request: HttpRequest) -> str | None:
    """What is wrong with the request's query string (a name or value holding a control
    character), or None."""
    for name, values in request.GET.lists():
        for text in (name, *values):
            problem = problem_with(text)
            if problem:
                shown = name if not problem_with(name) else "a parameter's name"
                return f"The query parameter {shown!r} {problem}."
    return None


class ControlCharacterQueryMiddleware:
    """Refuses a query string with control characters, unless the view reads it with a
    query form (which shows the error on its field)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if query_form_of(view) is not None:
            return None
        problem = query_problem(request)
        if problem is None:
            return None
        if request.path.startswith(API_PREFIX):
            return plain_problem_response("REQ-002", problem, status=400)
        return render(request, "query_refused.html", {"problem": problem}, status=400)
