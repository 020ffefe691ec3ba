from django.urls import path

from certificates.pages import trigger_panel, views

urlpatterns = [
    path("certificates/", views.certificate_list, name="my-certificates"),
    path(
        "certificates/<uuid:certificate_id>/", views.certificate_detail, name="certificate-detail"
    ),
    path(
        "certificates/<uuid:certificate_id>/triggers/run",
        trigger_panel.certificate_trigger_run,
        name="certificate-trigger-run",
    ),
    path(
        "certificates/<uuid:certificate_id>/download/<slug:fmt>",
        views.certificate_download,
        name="certificate-download",
    ),
]
