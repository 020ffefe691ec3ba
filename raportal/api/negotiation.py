"""Content negotiation for answers whose type is fixed whatever the client asks."""

from rest_framework.negotiation import BaseContentNegotiation


class AnyAccept(BaseContentNegotiation):
    """The view's first renderer and parser whatever the client asks, rather than 406: the
    Horizon client sends ``Accept: application/problem+json`` where the success is plain text
    (a generated password) or JSON (the admin API, the discovery feed); problems are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
