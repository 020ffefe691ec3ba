"""EST under /.well-known/est/ (RFC 7030 §3.2.2): with a profile's name as the label, as
Horizon serves it, and without one for RAPORTAL_EST_DEFAULT_PROFILE."""

from django.urls import path

from est import views

OPERATIONS = [
    ("cacerts", views.cacerts),
    ("csrattrs", views.csrattrs),
    ("simpleenroll", views.simpleenroll),
    ("simplereenroll", views.simplereenroll),
]

urlpatterns = [
    *[
        path(f".well-known/est/{name}", view, name=f"est-{name}-default")
        for name, view in OPERATIONS
    ],
    *[
        path(f".well-known/est/<slug:profile>/{name}", view, name=f"est-{name}")
        for name, view in OPERATIONS
    ],
]
