"""Security headers beyond settings: the Content-Security-Policy of the Swagger UI.

The portal's policy (settings.SECURE_CSP) allows its own files only. drf-spectacular's
Swagger page inlines its start-up script, which that policy blocks: the split view used
here serves that script from the same URL (``?script``) instead, so ``script-src 'self'``
still holds. What remains is one inline ``<style>`` block of the page's template, hence
``style-src 'unsafe-inline'`` on this page only — styles cannot run code.
"""

from collections.abc import Collection

from django.conf import settings
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularSwaggerSplitView

API_DOCS_CSP: dict[str, Collection[str] | str] = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}


def api_docs_view(**initkwargs):
    # templates/api_docs.html: drf-spectacular's page with a language and a way back home.
    view = SpectacularSwaggerSplitView.as_view(template_name="api_docs.html", **initkwargs)
    return csp_override(API_DOCS_CSP)(view)
