"""/manage/profiles/…: the profile list, editor, preview, clone, enable/disable, delete."""

from django.urls import path

from administration.pages import profiles

urlpatterns = [
    path("", profiles.profile_list, name="admin-profile-list"),
    path("new/", profiles.profile_create, name="admin-profile-create"),
    path("preview/", profiles.profile_preview, name="admin-profile-preview-new"),
    path("<slug:name>/", profiles.profile_edit, name="admin-profile-edit"),
    path("<slug:name>/preview/", profiles.profile_preview, name="admin-profile-preview"),
    path("<slug:name>/clone/", profiles.profile_clone, name="admin-profile-clone"),
    path("<slug:name>/toggle/", profiles.profile_toggle, name="admin-profile-toggle"),
    path("<slug:name>/delete/", profiles.profile_delete, name="admin-profile-delete"),
]
