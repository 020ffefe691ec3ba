"""Names as every page shows them (raportal/identifiers.py): ``{% load names %}`` then

- ``{{ team|named }}``, ``{{ profile|named }}``, ``{{ label|named }}`` — the display name,
  the technical name on hover (any object with ``name`` and ``display_name``; a plain string
  is shown as it is);
- ``{{ certificate|certificate_link }}`` — "CN 1a2b3c4d…" linked to the certificate's page;
- ``{{ certificate.serial|serial }}`` — the serial shortened, whole on hover;
- ``{{ req|request_link }}`` — "enroll request 1a2b3c4d" linked to the request's page;
- ``{{ event.action|dotted }}`` — a dotted name that breaks only after its dots;
- ``{{ event.detail.outcome|linking_certificate:req.certificate }}`` — a text naming the
  certificate's serial, with the serial replaced by the certificate's link.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from raportal import identifiers

register = template.Library()


@register.filter
def named(obj):
    if obj is None or obj == "":
        return "—"
    if isinstance(obj, str):
        return identifiers.named(obj)
    return identifiers.named(obj.name, getattr(obj, "display_name", ""))


@register.filter
def certificate_link(certificate):
    if certificate is None:
        return "—"
    return identifiers.certificate_link(certificate.pk, certificate.dn, certificate.serial)


@register.filter
def serial(value: str):
    return identifiers.serial_html(value or "")


@register.filter
def request_link(req):
    if req is None:
        return "—"
    return identifiers.request_link(req.pk, req.workflow)


@register.filter
def dotted(value: str):
    """A dotted name (an audit action: ``request.approve.renew``) in ``<code>`` that breaks
    only after its dots, never inside a word (static/css/portal.css: ``code.dotted``)."""
    parts = str(value).split(".")
    return format_html(
        '<code class="dotted">{}</code>',
        format_html_join(mark_safe(".<wbr>"), "{}", ((part,) for part in parts)),
    )


@register.filter
def linking_certificate(text: str, certificate):
    """``text`` (an audit event's outcome: "certificate 6eb6…0a issued") with the
    certificate's serial replaced by its link, when the text names it."""
    text = str(text)
    serial = getattr(certificate, "serial", "")
    if not serial or serial not in text:
        return text
    before, _, after = text.partition(serial)
    return format_html("{}{}{}", before, certificate_link(certificate), after)
