from django.urls import path

from requests_app.pages import trigger_panel, views

urlpatterns = [
    path("enroll/", views.enroll_profiles, name="enroll-profiles"),
    path("enroll/<slug:name>/", views.enroll, name="enroll"),
    path("requests/", views.request_list, name="my-requests"),
    path("requests/<uuid:request_id>/", views.request_detail, name="request-detail"),
    path("requests/<uuid:request_id>/cancel", views.request_cancel, name="request-cancel"),
    path(
        "requests/<uuid:request_id>/triggers/run",
        trigger_panel.request_trigger_run,
        name="request-trigger-run",
    ),
    path(
        "certificates/<uuid:certificate_id>/<slug:action>/",
        views.certificate_action,
        name="certificate-action",
    ),
    path("import/", views.import_certificate, name="import-certificate"),
]
