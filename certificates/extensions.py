"""What apps above ``certificates`` add to a certificate — who else may see it, fields of its
JSON, a section of its page — without ``certificates`` (or ``requests_app``) importing them.

Imports point down (DESIGN.md): discovery (``discovery/``) sits above certificates, profiles
and requests, yet a discovered certificate must be visible to those who may search its
campaign, and its JSON and page must say where it was found. Rather than let the lower layers
read the upper app's tables by name, the upper app registers a ``CertificateExtension`` here
when Django starts (its ``AppConfig.ready``), and the lower layers ask this registry:

- ``visible_to(user)`` (``Certificate.objects.visible_to``) ORs in ``visible(user)``: a
  subquery, so that the result stays free of duplicates and lockable; ``None`` adds nothing
  (and costs nothing);
- ``with_extensions(queryset, user)`` prefetches what ``json`` and ``page`` read, as this user
  may see it (the prefetch is where per-user filtering happens);
- ``extension_json(certificate)`` adds fields to the contract's Certificate object, read from
  the prefetched data only: a certificate loaded without ``with_extensions`` (a request's, one
  just issued) gets nothing, and costs no query (the submit path's budget);
- ``page_sections(user, certificate)`` gathers the parts of the certificate page each app
  adds for this user (``PagePart``: a slot, a template, its context), by slot: ``notice``
  above the details, ``main`` below the downloads, ``actions`` at the top of the side column,
  ``side`` below the history. Requests add what can be done with the certificate and the
  requests made on it (requests_app/pages/certificate_panel.py), discovery where it was found.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from certificates.models import Certificate

PAGE_SLOTS = ("notice", "main", "actions", "side")


@dataclass(frozen=True)
class PagePart:
    slot: str  # one of PAGE_SLOTS
    template: str  # included with the page's context and its own
    context: dict


@dataclass(frozen=True)
class CertificateExtension:
    name: str
    visible: Callable[[object], Q | None] = lambda user: None
    prefetch: Callable[[object], list] = lambda user: []
    json: Callable[[object], dict] = lambda certificate: {}
    page: Callable[[object, "Certificate"], list[PagePart]] = lambda user, certificate: []


EXTENSIONS: dict[str, CertificateExtension] = {}


def register(extension: CertificateExtension) -> None:
    """Adds (or replaces, by name: ``ready()`` may run twice in tests) an extension."""
    EXTENSIONS[extension.name] = extension


def extra_visibility(user) -> Q | None:
    found = None
    for extension in EXTENSIONS.values():
        condition = extension.visible(user)
        if condition is not None:
            found = condition if found is None else found | condition
    return found


def with_extensions(queryset, user):
    lookups = [lookup for ext in EXTENSIONS.values() for lookup in ext.prefetch(user)]
    return queryset.prefetch_related(*lookups) if lookups else queryset


def extension_json(certificate) -> dict:
    out: dict = {}
    for extension in EXTENSIONS.values():
        out.update(extension.json(certificate))
    return out


def page_sections(user, certificate) -> dict[str, list[tuple[str, dict]]]:
    sections: dict[str, list[tuple[str, dict]]] = {slot: [] for slot in PAGE_SLOTS}
    for extension in EXTENSIONS.values():
        for part in extension.page(user, certificate):
            sections[part.slot].append((part.template, part.context))
    return sections
