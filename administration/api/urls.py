"""Horizon's admin API routes. Each module holds the views of one kind of object and its
own ``urlpatterns``."""

from django.urls import include, path

urlpatterns = [
    path("", include("administration.api.labels")),
    path("", include("administration.api.teams")),
    path("", include("administration.api.identities")),
    path("", include("administration.api.principal_infos")),
    path("", include("administration.api.authorities")),
    path("", include("administration.api.connectors")),
    path("", include("administration.api.profiles")),
    path("", include("administration.api.discovery_campaigns")),
    path("", include("administration.api.events")),
    path("", include("administration.api.triggers")),
]
