"""A hand-written parser for the subset of Horizon's query languages (HRQL for requests, HCQL
for certificates) that the portal answers; queries become Django ``Q`` objects, never code.

Grammar (keywords and field names are case-insensitive)::

    query      := or
    or         := and (("or" | "||" | "|") and)*
    and        := unary (("and" | "&&" | "&") unary)*
    unary      := ("not" | "!") unary | "(" or ")" | condition
    condition  := FIELD ["not"] OPERATOR [VALUE | "[" VALUE ("," VALUE)* "]"]
    VALUE      := "double quoted" | 'single quoted' (backslash escapes) | bare-word

Operators (``not`` between the field and the operator negates it, as in Horizon:
``profile not equals "a"``, ``status is not pending``, ``module not in [est, scep]``):

    equals, is, =       exact match (a date: anywhere in the literal's period)
    !=                  not equals
    contains            substring, ignoring case (text fields)
    in [a, b]           one of the values
    before, <           strictly earlier (date fields)
    after, >            strictly later
    <=, >=              earlier or equal, later or equal
    exists              has a value (``not exists``: has none)

``and`` binds tighter than ``or``; ``not``/``!`` before a condition or a parenthesis negates
it. Date literals: see ``hrql.dates``. Fields: each model's map
(``requests_app.search.request_fields.REQUEST_FIELDS``, ``certificates.search_fields``).
Horizon's ``matches`` and ``within`` (regular expressions) are refused: a regex given by any
caller would run inside the database.
"""

import re
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.db.models import Q

from hrql.fields import (
    AFTER,
    AT_LEAST,
    AT_MOST,
    BEFORE,
    CONTAINS,
    EQUALS,
    EXISTS,
    IN,
    Field,
    QueryError,
)

MAX_QUERY_LENGTH = 4000
MAX_DEPTH = 20
MAX_CONDITIONS = 50
MAX_LIST = 100

WORD_OPERATORS = {
    "equals": EQUALS,
    "is": EQUALS,
    "contains": CONTAINS,
    "in": IN,
    "before": BEFORE,
    "after": AFTER,
    "exists": EXISTS,
}
SYMBOL_OPERATORS = {
    "=": EQUALS,
    "<": BEFORE,
    ">": AFTER,
    "<=": AT_MOST,
    ">=": AT_LEAST,
}
UNSUPPORTED = {"matches", "within"}
AND_WORDS, OR_WORDS, NOT_WORDS = {"and", "&&", "&"}, {"or", "||", "|"}, {"not", "!"}

TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<symbol>&&|\|\||!=|<=|>=|[()\[\],=<>!&|])
      | (?P<word>[^\s()\[\],"'=<>!&|]+)
    )""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string | symbol | word
    text: str
    position: int

    def is_keyword(self, words: set[str]) -> bool:
        return self.kind != "string" and self.text.lower() in words


def tokenize(query: str) -> list[Token]:
    tokens, position = [], 0
    query = query.rstrip()
    while position < len(query):
        match = TOKEN.match(query, position)
        if match is None or match.end() == position:
            raise QueryError(f"unexpected character at position {position}: {query[position]!r}")
        kind = match.lastgroup
        if kind is None:  # every alternative of TOKEN is a named group
            raise QueryError(f"unexpected character at position {position}: {query[position]!r}")
        text = match[kind]
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1], flags=re.DOTALL)
        tokens.append(Token(kind, text, match.start(kind)))
        position = match.end()
    return tokens


def to_q(query: str | None, fields: dict[str, Field]) -> Q:
    """The ``Q`` a query means over a model whose language is ``fields``; an empty query
    filters nothing. QueryError says what is wrong, and where."""
    if query is None or not query.strip():
        return Q()
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    return _Parser(tokenize(query), fields).parse()


class _Parser:
    def __init__(self, tokens: list[Token], fields: dict[str, Field]):
        self.tokens = tokens
        self.index = 0
        self.fields = {name.lower(): field for name, field in fields.items()}
        self.conditions = 0
        self.depth = 0

    # --- token helpers -------------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, expected: str) -> Token:
        token = self.peek()
        if token is None:
            raise QueryError(f"the query ends where {expected} was expected")
        self.index += 1
        return token

    def accept(self, words: set[str]) -> bool:
        token = self.peek()
        if token is not None and token.is_keyword(words):
            self.index += 1
            return True
        return False

    def expect_symbol(self, symbol: str) -> None:
        token = self.next(f"{symbol!r}")
        if token.kind != "symbol" or token.text != symbol:
            raise QueryError(
                f"expected {symbol!r} at position {token.position}, found {token.text!r}"
            )

    # --- grammar -------------------------------------------------------------------------

    def parse(self) -> Q:
        q = self.parse_or()
        token = self.peek()
        if token is not None:
            raise QueryError(
                f"unexpected {token.text!r} at position {token.position} "
                "(combine conditions with and / or)"
            )
        return q

    def parse_or(self) -> Q:
        parts = [self.parse_and()]
        while self.accept(OR_WORDS):
            parts.append(self.parse_and())
        return reduce(or_, parts)

    def parse_and(self) -> Q:
        parts = [self.parse_unary()]
        while self.accept(AND_WORDS):
            parts.append(self.parse_unary())
        return reduce(and_, parts)

    def parse_unary(self) -> Q:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"the query nests deeper than {MAX_DEPTH} levels")
        try:
            if self.accept(NOT_WORDS):
                return ~self.parse_unary()
            token = self.peek()
            if token is not None and token.kind == "symbol" and token.text == "(":
                self.index += 1
                q = self.parse_or()
                self.expect_symbol(")")
                return q
            return self.parse_condition()
        finally:
            self.depth -= 1

    def parse_condition(self) -> Q:
        token = self.next("a field name")
        if token.kind != "word":
            raise QueryError(
                f"expected a field name at position {token.position}, found {token.text!r}"
            )
        name = token.text.lower()
        field = self.fields.get(name)
        if field is None:
            known = ", ".join(sorted(self.fields))
            raise QueryError(f"unknown field {token.text!r} (fields: {known})")
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryError(f"the query has more than {MAX_CONDITIONS} conditions")
        negated = self.accept({"not"})
        operator, negated = self.parse_operator(name, negated)
        value: str | list[str] | None
        if operator == EXISTS:
            value = None
        elif operator == IN:
            value = self.parse_list(name)
        else:
            value = self.parse_value(name)
        q = field.q(name, operator, value)
        return ~q if negated else q

    def parse_operator(self, name: str, negated: bool) -> tuple[str, bool]:
        token = self.next(f"an operator after {name}")
        text = token.text.lower()
        if token.kind == "word" and text in WORD_OPERATORS:
            operator = WORD_OPERATORS[text]
            if text == "is" and self.accept({"not"}):  # status is not pending
                negated = not negated
            return operator, negated
        if token.kind == "symbol" and text in SYMBOL_OPERATORS:
            return SYMBOL_OPERATORS[text], negated
        if token.kind == "symbol" and text == "!=":
            return EQUALS, not negated
        if text in UNSUPPORTED:
            raise QueryError(f"the operator {text!r} (regular expressions) is not supported")
        raise QueryError(
            f"unknown operator {token.text!r} after {name} at position {token.position}"
        )

    def parse_value(self, name: str) -> str:
        token = self.next(f"a value for {name}")
        if token.kind == "symbol":
            raise QueryError(
                f"expected a value for {name} at position {token.position}, found {token.text!r}"
            )
        return token.text

    def parse_list(self, name: str) -> list[str]:
        self.expect_symbol("[")
        values = [self.parse_value(name)]
        while True:
            token = self.next(f"',' or ']' in the list of {name}")
            if token.kind == "symbol" and token.text == "]":
                break
            if token.kind != "symbol" or token.text != ",":
                raise QueryError(
                    f"expected ',' or ']' at position {token.position}, found {token.text!r}"
                )
            values.append(self.parse_value(name))
        if len(values) > MAX_LIST:
            raise QueryError(f"{name}: a list holds at most {MAX_LIST} values")
        return values
