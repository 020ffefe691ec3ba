"""How the pages and their messages name things, one way everywhere (issue 17): a team,
profile or label by its display name with its technical name on hover; a certificate by its
CN and a shortened serial, linked to its page; a request by its short id, linked.

Everything returns HTML built with ``format_html`` (names are escaped), so that views can put
it in a message and templates use it through ``{% load names %}`` (raportal/templatetags).
URLs are reversed by name: nothing here imports the apps above ``raportal``."""

import re

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

SERIAL_SHOWN = 8  # hex digits of a serial shown before "…" (all of it on hover)
REQUEST_ID_SHOWN = 8


def split_rdns(dn: str) -> list[str]:
    """The RDNs of a DN written as RFC 4514 text, without their separating commas; an
    escaped comma (``\\,``, RFC 4514 §2.4) stays inside its RDN."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in dn:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def rdns(dn: str) -> list[str]:
    """The DN's RDNs, each but the last with its separating comma (what the ``dn`` filter
    shows: the text copied from the page stays the DN as it was)."""
    if not dn:
        return []
    parts = split_rdns(dn)
    return [part + "," for part in parts[:-1]] + [parts[-1]]


def common_name(dn: str) -> str:
    """The first CN of a DN written as RFC 4514 text, unescaped ("" when it has none)."""
    for rdn in split_rdns(dn or ""):
        key, _, value = rdn.strip().partition("=")
        if key.strip().upper() == "CN" and value:
            return re.sub(r"\\(.)", r"\1", value)
    return ""


def serial_prefix(serial: str) -> str:
    """The first SERIAL_SHOWN hex digits: what lists show and downloads are named after."""
    return (serial or "").lower()[:SERIAL_SHOWN]


def short_serial(serial: str) -> str:
    serial = (serial or "").lower()
    return serial if len(serial) <= SERIAL_SHOWN + 1 else serial_prefix(serial) + "…"


def serial_html(serial: str) -> SafeString:
    """The serial shortened, whole on hover (and for screen readers, in the title)."""
    return format_html(
        '<code class="serial" title="serial {}">{}</code>', serial.lower(), short_serial(serial)
    )


def named(name: str, display_name: str = "") -> SafeString:
    """A team, profile or label: its display name, the technical name on hover; the
    technical name alone when it has no other."""
    if display_name and display_name != name:
        return format_html('<abbr class="tech-name" title="{}">{}</abbr>', name, display_name)
    return format_html('<span class="tech-name">{}</span>', name)


def certificate_label(dn: str, serial: str) -> SafeString:
    """ "CN serial…" (the DN when it has no CN, the serial alone when neither)."""
    shown = common_name(dn) or dn
    if not shown:
        return serial_html(serial)
    return format_html("{} {}", shown, serial_html(serial))


def certificate_link(pk, dn: str, serial: str) -> SafeString:
    return format_html(
        '<a href="{}">{}</a>',
        reverse("certificate-detail", args=[pk]),
        certificate_label(dn, serial),
    )


def short_request_id(pk) -> str:
    return str(pk)[:REQUEST_ID_SHOWN]


def request_link(pk, workflow: str = "") -> SafeString:
    """ "enroll request 1a2b3c4d", linked; the whole id on hover."""
    return format_html(
        '<a href="{}">{}request <code class="ident" title="{}">{}</code></a>',
        reverse("request-detail", args=[pk]),
        f"{workflow} " if workflow else "",
        str(pk),
        short_request_id(pk),
    )


def saved_message(kind: str, url_name: str, obj, created: bool) -> SafeString:
    """ "Team <a>Demo team</a> created." — an admin page's message after saving a named
    object (``obj``: its ``name`` and ``display_name``), linked to its edit page."""
    return format_html(
        '{} <a href="{}">{}</a> {}.',
        kind,
        reverse(url_name, args=[obj.name]),
        named(obj.name, obj.display_name),
        "created" if created else "saved",
    )
