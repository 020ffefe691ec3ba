"""Searching inside JSON lists of objects (a certificate's SANs and labels, a request's
requested SANs) on SQLite and PostgreSQL."""

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, F


class JsonItemsContain(Expression):
    """True when one object of a JSON list (``sans``, ``labels``) has ``keys`` — joined by
    ``=``, as the pages show a label — containing ``text``, ignoring case. Searching the
    JSON as text would also match its member names: "value" would find every certificate."""

    output_field = BooleanField()

    def __init__(self, field, text: str, keys: tuple[str, ...]):
        """``field``: a JSON field's name, or an expression giving a JSON list (e.g.
        ``KeyTransform("sans", "template")``)."""
        super().__init__()
        if not all(key.isidentifier() for key in keys):  # they are written into the SQL
            raise ValueError(f"not a JSON member name: {keys!r}")
        self.column = F(field) if isinstance(field, str) else field
        self.text, self.keys = text, keys

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    # {column}: the compiled column; {item}: built from the checked member names; the text
    # to find is a parameter.
    SQLITE = (
        "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({column}) = 'array' THEN {column} "
        "ELSE '[]' END) AS e WHERE (CASE WHEN e.type = 'object' THEN {item} END) "
        "LIKE %s ESCAPE '\\')"
    )
    POSTGRESQL = (
        "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({column}) = 'array' "
        "THEN {column} ELSE '[]'::jsonb END) AS e(item) "
        "WHERE (CASE WHEN jsonb_typeof(e.item) = 'object' THEN {item} END) ILIKE %s ESCAPE '\\')"
    )

    def _sql(self, compiler, connection, template: str, member: str):
        column, params = compiler.compile(self.column)
        item = " || '=' || ".join(member.format(key) for key in self.keys)
        pattern = f"%{connection.ops.prep_for_like_query(self.text)}%"
        sql = template.format(column=column, item=item)
        return sql, (*params, *params, pattern)

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, self.SQLITE, "json_extract(e.value, '$.{}')")

    def as_postgresql(self, compiler, connection):
        return self._sql(compiler, connection, self.POSTGRESQL, "(e.item ->> '{}')")

    def as_sql(self, compiler, connection):
        raise NotSupportedError("searching JSON lists needs SQLite or PostgreSQL")
