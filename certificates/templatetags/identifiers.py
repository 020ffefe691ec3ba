"""How the lists tell two certificates apart: the short serial as a link (the whole one on
hover, a copy button), a request by its short id, the key and the issuer by their names.
The short forms are raportal/identifiers.py's, as every page shows them; profiles and teams
are named by ``{% load names %}``'s ``named``."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from certificates.pki import keys
from raportal.identifiers import common_name, short_request_id, short_serial

register = template.Library()

COPY_ICON = mark_safe(  # a constant: no data in it
    '<svg aria-hidden="true" focusable="false" width="14" height="14" viewBox="0 0 16 16" '
    'fill="currentColor"><path d="M4 2a2 2 0 0 1 2-2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H6a2 2 '
    '0 0 1-2-2zm2-1a1 1 0 0 0-1 1v8a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1V2a1 1 0 0 0-1-1z"/>'
    '<path d="M2 5a1 1 0 0 0-1 1v8a1 1 0 0 0 1 1h8a1 1 0 0 0 1-1v-1h1v1a2 2 0 0 1-2 2H2a2 '
    '2 0 0 1-2-2V6a2 2 0 0 1 2-2h1v1z"/></svg>'
)


def _copy_button(value: str, what: str):
    """Hidden until static/js/copy-value.js finds a clipboard to write to."""
    return format_html(
        '<button type="button" class="btn btn-link btn-sm p-0 ms-1 align-baseline copy-value" '
        'data-copy-value="{}" title="Copy the full {}" aria-label="Copy the full {} {}" '
        "hidden>{}</button>",
        value,
        what,
        what,
        value,
        COPY_ICON,
    )


@register.simple_tag
def serial(certificate, copy: bool = True):
    """The certificate's short serial, a link to its page, the whole serial on hover."""
    if certificate is None:
        return "—"
    full = certificate.serial
    link = format_html(
        '<a class="serial" href="{}" title="Serial {}"><code>{}</code></a>',
        reverse("certificate-detail", args=[certificate.pk]),
        full,
        short_serial(full),
    )
    return format_html("{}{}", link, _copy_button(full, "serial")) if copy else link


@register.simple_tag
def request_id(req, url_name: str = "request-detail"):
    """A request's short id, a link (to ``url_name``: its page, or the approver's decision
    page), the whole id on hover."""
    full = str(req.pk)
    return format_html(
        '<a class="request-id" href="{}" title="Request {}"><code>{}</code></a>',
        reverse(url_name, args=[req.pk]),
        full,
        short_request_id(full),
    )


@register.filter
def key_label(key_type: str) -> str:
    """``ec-secp256r1`` → ``ECDSA P-256`` (the name as stored for a type the portal does not
    issue)."""
    return keys.key_label(key_type) or "—"


@register.filter
def issuer_name(dn: str):
    """The issuer's common name, the whole DN on hover (RFC 4514 strings, as stored)."""
    if not dn:
        return "—"
    shown = common_name(dn) or dn
    return format_html('<span class="issuer" title="{}">{}</span>', dn, shown)
