"""``{{ value|dn }}``: a distinguished name that breaks between its RDNs only.

A template builtin (settings.TEMPLATES): every page shows DNs, none needs to load it. The DN
is the RFC 4514 string the portal stores (``CN=web.example.com,O=Example,C=FR``); each RDN
becomes a ``<span class="rdn">`` kept whole by static/css/portal.css, with a ``<wbr>`` after
its separating comma, so a narrow screen wraps ``…,O=Example,`` / ``C=FR`` instead of
``…,C`` / ``=FR``. The text copied from the page stays the DN as it was.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from raportal.identifiers import rdns

register = template.Library()


@register.filter
def dn(value: object) -> SafeString | str:
    """The DN as HTML (escaped), or "" for an empty value (``|default:`` then applies)."""
    if value is None or value == "":
        return ""
    pieces = format_html_join(
        mark_safe("<wbr>"), '<span class="rdn">{}</span>', ((p,) for p in rdns(str(value)))
    )
    return format_html('<span class="dn">{}</span>', pieces)
