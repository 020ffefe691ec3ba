"""The admin pages (/manage/…): each area's module adds its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("administration.pages.directory_urls")),
    path("profiles/", include("administration.pages.profile_urls")),
    path("authorities/", include("administration.pages.authority_urls")),
    path("triggers/", include("administration.pages.trigger_urls")),
]
