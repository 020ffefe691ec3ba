"""Small presentation helpers shared by the pages."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def when(value):
    """A date in the reader's time zone (static/js/portal.js rewrites it in the browser), the
    absolute UTC date on hover; without JavaScript, the UTC date."""
    if not value:
        return "—"
    utc = timezone.localtime(value, dt.UTC) if timezone.is_aware(value) else value
    return format_html(
        '<time datetime="{}" title="{} UTC">{} UTC</time>',
        utc.isoformat(),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        utc.strftime("%Y-%m-%d %H:%M"),
    )


STATUS_CLASSES = {
    "pending": "warning",
    "approved": "info",
    "completed": "success",
    "denied": "danger",
    "canceled": "secondary",
    "failed": "danger",
    "valid": "success",
    "expiring": "warning",
    "expired": "secondary",
    "revoked": "danger",
}


@register.filter
def badge(status: str):
    css = STATUS_CLASSES.get(status, "secondary")
    return format_html('<span class="badge text-bg-{}">{}</span>', css, status)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters changed (sorting, paging links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode() if query else "?"


@register.filter
def getfield(form, name: str):
    """A bound field by name (field names built from a profile are not identifiers)."""
    return form[name]


EVENT_WORDS = {
    "submit": "submitted",
    "approve": "approved",
    "approval_recorded": "approval recorded",
    "deny": "denied",
    "cancel": "canceled",
    "secrets": "key handed over",
    "issue": "issued",
    "revoke": "revoked",
    "update": "updated",
    "migrate": "moved to another profile",
    "recover": "key recovered",
    "import": "imported",
    "discover": "discovered on a host",
}


@register.filter
def event_label(action: str) -> str:
    """``request.approve.enroll`` → ``approved``; ``certificate.revoke`` → ``revoked``."""
    parts = action.split(".")
    return EVENT_WORDS.get(parts[1] if len(parts) > 1 else action, action)


@register.filter
def actor_name(event, default: str = "the portal") -> str:
    """Who did what an audit event records: the account, else a principal without one (a
    proof of possession names the certificate's DN), else ``default``."""
    if event.actor_id:
        return event.actor.get_username()
    principal = (event.detail or {}).get("principal")
    # The account's name when the event was written, kept (sealed) after it was deleted.
    return principal or getattr(event, "actor_name", "") or default


@register.simple_tag(takes_context=True)
def include_parts(context, parts):
    """Each ``(template, its context)`` of ``parts``, included as ``{% include %}`` includes a
    template ``with`` values: the parts other apps add to a page (certificates/extensions.py)."""
    html = SafeString()
    for name, extra in parts:
        with context.push(**extra):
            html += context.template.engine.get_template(name).render(context)
    return html
