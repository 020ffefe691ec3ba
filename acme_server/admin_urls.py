"""The administration of ACME: pages under /manage/acme/ (beside the other admin pages,
which link here by URL name only: administration sits below acme_server) and the EAB keys
API under /api/v1/acme/eab."""

from django.urls import include, path

from acme_server import eab_pages as pages

PAGES = [
    path("", pages.acme_home, name="acme-admin-home"),
    path("<slug:name>/eab/", pages.eab_list, name="acme-admin-eab-list"),
    path("<slug:name>/eab/new/", pages.eab_create, name="acme-admin-eab-create"),
    path("<slug:name>/eab/<str:kid>/delete/", pages.eab_delete, name="acme-admin-eab-delete"),
    path("<slug:name>/accounts/", pages.account_list, name="acme-admin-account-list"),
    path(
        "<slug:name>/accounts/<int:account_id>/deactivate/",
        pages.account_deactivate,
        name="acme-admin-account-deactivate",
    ),
]

urlpatterns = [
    path("manage/acme/", include(PAGES)),
    path("", include("acme_server.eab_api")),
]
