"""The rows of the audit log as people read them: the object by its name (linked to its page
when it still exists), the actor (an account, the API key it used, or a principal without an
account: a device, an ACME account, a proof of possession), the change as before → after,
and the rest of the detail.

Names are looked up per kind of object, one query per kind on the page, whatever the number
of rows (tests/administration/pages/test_audit_pages.py counts them)."""

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from certificates.models import CaEntry, Certificate, CertificateAuthority
from discovery.models import DiscoveryCampaign
from profiles.models import Label, PasswordPolicy, Profile, Team
from raportal import identifiers
from raportal.audit_changes import CHANGES
from raportal.models import API_ID, ApiCredential, AuditEvent
from requests_app.models import Request
from triggers.models import Trigger

VALUE_SHOWN = 80  # characters of a detail value shown (all of it on hover)

# Detail keys the actor column shows, or the change table: not repeated in the detail.
ACTOR_KEYS = {"principal", "authentication", API_ID}

# What each kind of object is called on the page.
KIND_WORDS = {
    "apicredential": "API key",
    "caentry": "CA entry",
    "certificateauthority": "CA",
    "discoverycampaign": "discovery campaign",
    "passwordpolicy": "password policy",
    "user": "account",
}


@dataclass
class Change:
    field: str
    before: list[str]  # lines
    after: list[str]
    partial: bool = False  # long lists: only the items removed (before) and added (after)


@dataclass
class Row:
    event: AuditEvent
    seal: str
    kind: str = ""
    object: SafeString = field(default_factory=SafeString)
    actor: SafeString = field(default_factory=SafeString)
    means: str = ""  # how the actor authenticated, when not a web session
    changes: list[Change] = field(default_factory=list)
    detail: list[tuple[str, str, str]] = field(default_factory=list)  # key, shown, whole


def _ids(events: Iterable[AuditEvent], kind: str, parse: Callable[[str], Any]) -> set:
    found = set()
    for event in events:
        if event.object_type == kind:
            try:
                found.add(parse(event.object_id))
            except ValueError:
                continue
    return found


def _int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ValueError(text)
    return int(text)


def _named_link(route: str, key: str = "name") -> Callable[[dict], SafeString]:
    def render(row: dict) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse(route, args=[row[key]]),
            identifiers.named(row["name"], row.get("display_name", "")),
        )

    return render


def _plain_name(row: dict) -> SafeString:
    return identifiers.named(row["name"])


def _certificate(row: dict) -> SafeString:
    return identifiers.certificate_link(row["pk"], row["dn"], row["serial"])


def _request(row: dict) -> SafeString:
    link = identifiers.request_link(row["pk"], row["workflow"])
    cn = identifiers.common_name(row["dn"] or "")
    return format_html("{} {}", link, cn) if cn else link


def _account(row: dict) -> SafeString:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin-account-detail", args=[row["pk"]]), row["username"]
    )


def _api_key(row: dict) -> SafeString:
    return format_html(
        '<a href="{}"><code>{}</code></a>',
        reverse("admin-account-detail", args=[row["user_id"]]),
        row["api_id"],
    )


# kind → (model, how its id is parsed, the columns read, how a row is shown)
KINDS: dict[str, tuple[type[models.Model], Callable[[str], Any], tuple[str, ...], Callable]] = {
    "team": (Team, _int, ("name", "display_name"), _named_link("admin-team-edit")),
    "label": (Label, _int, ("name", "display_name"), _named_link("admin-label-edit")),
    "profile": (Profile, _int, ("name", "display_name"), _named_link("admin-profile-edit")),
    "discoverycampaign": (DiscoveryCampaign, _int, ("name",), _named_link("admin-campaign-edit")),
    "trigger": (Trigger, _int, ("name",), _named_link("admin-trigger-detail", "pk")),
    "certificateauthority": (
        CertificateAuthority,
        _int,
        ("name",),
        _named_link("admin-authority-detail"),
    ),
    "caentry": (CaEntry, _int, ("name",), _plain_name),
    "passwordpolicy": (PasswordPolicy, _int, ("name",), _plain_name),
    "certificate": (Certificate, uuid.UUID, ("dn", "serial"), _certificate),
    "request": (Request, uuid.UUID, ("workflow", "dn"), _request),
    "user": (get_user_model(), _int, ("username",), _account),
    "apicredential": (ApiCredential, _int, ("api_id", "user_id"), _api_key),
}


def object_names(events: list[AuditEvent]) -> dict[int, SafeString]:
    """Each event's object by name and linked, by event pk, for the objects that still exist:
    one query per kind of object on the page."""
    shown: dict[tuple[str, str], SafeString] = {}
    for kind, (model, parse, columns, render) in KINDS.items():
        ids = _ids(events, kind, parse)
        if not ids:
            continue
        for row in model._default_manager.filter(pk__in=ids).values("pk", *columns):
            shown[(kind, str(row["pk"]))] = render(row)
    names = {}
    for event in events:
        key = (event.object_type, _canonical_id(event.object_type, event.object_id))
        if key in shown:
            names[event.pk] = shown[key]
    return names


def _canonical_id(kind: str, object_id: str) -> str:
    """The id as the database gives it back (a UUID in its lower-case, dashed form)."""
    parse = KINDS[kind][1] if kind in KINDS else str
    try:
        return str(parse(object_id))
    except ValueError:
        return object_id


def _gone(event: AuditEvent) -> SafeString:
    """An object the database no longer holds (deleted, or purged): the name its event
    recorded, else its id."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    name = detail.get("name") or detail.get("identifier") or detail.get("username")
    if isinstance(name, str) and name and event.object_type in KINDS:
        return format_html('{} <span class="text-muted">(no longer exists)</span>', name)
    if isinstance(name, str) and name:
        return format_html("{}", name)
    if not event.object_id:
        return SafeString("")
    return format_html("<code>{}</code>", _shorten(event.object_id, 40))


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _text(value: Any) -> str:
    """A detail value as text: lists one item after the other, the rest as JSON writes it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(str(item) for item in value) if value else "none"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _actor(event: AuditEvent) -> tuple[SafeString, str]:
    detail = event.detail if isinstance(event.detail, dict) else {}
    means = ""
    if detail.get(API_ID):
        means = f"API key {detail[API_ID]}"
    elif detail.get("authentication"):
        means = str(detail["authentication"])
    if event.actor_id and event.actor is not None:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin-account-detail", args=[event.actor_id]),
            event.actor.get_username(),
        ), means
    name = detail.get("principal") or event.actor_name
    if name:  # a principal without an account, or an account deleted since
        return format_html("{}", name), means
    return format_html('<span class="text-muted">{}</span>', "system"), means


LIST_SHOWN_WHOLE = 6  # items of a list shown whole, before and after; longer: what changed


def _change(name: str, before: Any, after: Any) -> Change:
    label = name.replace("_", " ")
    if isinstance(before, list) and isinstance(after, list):
        long = len(before) + len(after) > LIST_SHOWN_WHOLE or any(
            len(str(item)) > 40 for item in [*before, *after]
        )
        if long:  # a profile's rules: the lines that went and the lines that came
            gone = [_text(item) for item in before if item not in after]
            came = [_text(item) for item in after if item not in before]
            return Change(label, gone or ["—"], came or ["—"], partial=True)
    return Change(label, [_text(before)], [_text(after)])


def _changes(detail: dict) -> list[Change]:
    found = detail.get(CHANGES)
    if not isinstance(found, dict):
        return []
    return [
        _change(name, pair[0], pair[1])
        for name, pair in found.items()
        if isinstance(pair, list) and len(pair) == 2
    ]


def rows(events: list[AuditEvent], seals: dict[int, str]) -> list[Row]:
    names = object_names(events)
    out = []
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        actor, means = _actor(event)
        row = Row(
            event=event,
            seal=seals.get(event.pk, ""),
            kind=KIND_WORDS.get(event.object_type, event.object_type),
            object=names.get(event.pk) or _gone(event),
            actor=actor,
            means=means,
            changes=_changes(detail),
        )
        for key, value in detail.items():
            if key in ACTOR_KEYS or key == CHANGES or value in ("", None, []):
                continue  # said elsewhere on the row, or nothing to say
            text = _text(value)
            row.detail.append((key, _shorten(text, VALUE_SHOWN), text))
        out.append(row)
    return out
