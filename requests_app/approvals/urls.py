from django.urls import path

from requests_app.approvals import decided, views

urlpatterns = [
    path("approvals/", views.queue, name="approval-queue"),
    path("approvals/bulk", views.bulk, name="approval-bulk"),
    path("approvals/decided/", decided.decided, name="approval-decided"),
    path("approvals/<uuid:request_id>/", views.decide, name="approval-decide"),
]
