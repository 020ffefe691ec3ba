"""Triggers' admin pages (/manage/triggers/…), addressed by id: a trigger's name may hold any
character, a slash included."""

from django.urls import path

from administration.pages import triggers

urlpatterns = [
    path("", triggers.trigger_list, name="admin-trigger-list"),
    path("new/<slug:kind>/", triggers.trigger_create, name="admin-trigger-create"),
    path("<int:pk>/", triggers.trigger_detail, name="admin-trigger-detail"),
    path("<int:pk>/edit/", triggers.trigger_edit, name="admin-trigger-edit"),
    path("<int:pk>/test/", triggers.trigger_test, name="admin-trigger-test"),
    path("<int:pk>/rotate/", triggers.trigger_rotate, name="admin-trigger-rotate"),
    path("<int:pk>/delete/", triggers.trigger_delete, name="admin-trigger-delete"),
]
