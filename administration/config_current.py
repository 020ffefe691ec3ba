"""What import_config compares a file's objects with: the objects of one section as they are
when the section is applied, read in one go (one query, plus one per prefetched relation),
not by one lookup per object of the file. A re-import of an unchanged configuration thus
costs the same few queries however many profiles, accounts or teams it lists (issue 18:
looked up one by one, with their rule tables, grants and teams, they made the queries grow
with the configuration).

An object the import has written is read again on its own when asked for once more (a name
the file lists twice): what was read in one go no longer describes it."""

from collections.abc import Iterable

from django.db.models import Model, QuerySet


class Current[T: Model]:
    """The objects of ``queryset`` whose ``field`` is one of ``names``, by that field."""

    def __init__(self, queryset: QuerySet[T], field: str, names: Iterable[str]) -> None:
        self._queryset, self._field = queryset, field
        wanted = set(names)
        self._objects: dict[str, T] = (
            {
                getattr(obj, field): obj
                for obj in queryset.filter(**{f"{field}__in": sorted(wanted)})
            }
            if wanted
            else {}
        )
        self._written: set[str] = set()

    def get(self, name: str) -> T | None:
        if name in self._written:
            return self._queryset.filter(**{self._field: name}).first()
        return self._objects.get(name)

    def wrote(self, name: str, outcome: str) -> str:
        """Notes that the import's ``outcome`` for ``name`` may have written it; returns
        ``outcome``."""
        if outcome != "unchanged":
            self._written.add(name)
        return outcome
