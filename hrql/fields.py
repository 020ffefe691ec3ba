"""What a query field is, and how one condition on it becomes a Django ``Q``.

A model's query language is a dict of these (``requests_app.search.request_fields``,
``certificates.search_fields``): the parser reads ``<field> [not] <operator> <value>`` and asks
the field for the ``Q``. Every field names the operators it takes, so a wrong one is refused
with a sentence instead of an SQL error.
"""

import uuid
from collections.abc import Callable

from django.db.models import Q

from hrql.dates import parse_date


class QueryError(ValueError):
    """A query the language does not allow; its text is shown to the caller."""


# Operator names after aliases: the parser hands fields one of these.
EQUALS, CONTAINS, IN, BEFORE, AFTER, AT_MOST, AT_LEAST, EXISTS = (
    "equals",
    "contains",
    "in",
    "before",
    "after",
    "<=",
    ">=",
    "exists",
)


class Field:
    operators: tuple[str, ...] = ()
    kind = "field"

    def __init__(self, path: str):
        self.path = path

    def q(self, name: str, operator: str, value) -> Q:
        if operator not in self.operators:
            allowed = ", ".join(self.operators)
            raise QueryError(f"{name} is a {self.kind} field: use {allowed} (not {operator})")
        return self.build(name, operator, value)

    def build(self, name: str, operator: str, value) -> Q:
        raise NotImplementedError


class TextField(Field):
    """A string: ``equals`` is exact (case-sensitive, as in Horizon), ``contains`` ignores case."""

    operators = (EQUALS, CONTAINS, IN, EXISTS)
    kind = "text"

    def build(self, name, operator, value) -> Q:
        if operator == EQUALS:
            return Q(**{self.path: value})
        if operator == CONTAINS:
            return Q(**{f"{self.path}__icontains": value})
        if operator == IN:
            return Q(**{f"{self.path}__in": value})
        # Optional texts are stored blank, optional relations as NULL: neither "exists".
        return Q(**{f"{self.path}__isnull": False}) & ~Q(**{self.path: ""})


class IdField(Field):
    operators = (EQUALS, IN, EXISTS)
    kind = "id"

    def build(self, name, operator, value) -> Q:
        if operator == EXISTS:
            return Q(**{f"{self.path}__isnull": False})
        values = value if operator == IN else [value]
        ids = []
        for text in values:
            try:
                ids.append(uuid.UUID(text))
            except ValueError:
                raise QueryError(f"{name}: {text!r} is not an id") from None
        return Q(**{f"{self.path}__in": ids})


class DateField(Field):
    """``before``/``<`` and ``after``/``>`` are strict, ``<=`` and ``>=`` inclusive, all on the
    literal's first instant; ``equals`` matches its whole period (``"2025-06-15"``: that day)."""

    operators = (EQUALS, BEFORE, AFTER, AT_MOST, AT_LEAST, EXISTS)
    kind = "date"

    def build(self, name, operator, value) -> Q:
        if operator == EXISTS:
            return Q(**{f"{self.path}__isnull": False})
        try:
            period = parse_date(value)
        except ValueError as exc:
            raise QueryError(f"{name}: {exc}") from None
        lookup = {
            BEFORE: ("lt", period.start),
            AFTER: ("gt", period.start),
            AT_MOST: ("lte", period.start),
            AT_LEAST: ("gte", period.start),
        }.get(operator)
        if lookup:
            return Q(**{f"{self.path}__{lookup[0]}": lookup[1]})
        return Q(**{f"{self.path}__gte": period.start, f"{self.path}__lt": period.end})


class ChoiceField(Field):
    """A field whose values are words the language defines, each a condition of its own:
    ``status is valid`` (certificates), ``request is expired``, ``revoked equals true``."""

    operators = (EQUALS, IN)
    kind = "choice"

    def __init__(self, choices: dict[str, Callable[[], Q]]):
        super().__init__(path="")
        self.choices = choices

    def build(self, name, operator, value) -> Q:
        values = value if operator == IN else [value]
        q = Q(pk__in=[])  # matches nothing: the neutral element of "or"
        for text in values:
            make = self.choices.get(text.lower())
            if make is None:
                allowed = ", ".join(self.choices)
                raise QueryError(f"{name}: {text!r} is not one of {allowed}")
            q |= make()
        return q


def boolean(true: Callable[[], Q]) -> ChoiceField:
    return ChoiceField({"true": true, "false": lambda: ~true()})
