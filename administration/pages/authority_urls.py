"""/manage/authorities/…: the CAs, and the SCEP RA certificate of each."""

from django.urls import path

from administration.pages import authorities

urlpatterns = [
    path("", authorities.authority_list, name="admin-authority-list"),
    path("<slug:name>/", authorities.authority_detail, name="admin-authority-detail"),
    path(
        "<slug:name>/scep-ra/renew/", authorities.scep_ra_renew, name="admin-authority-scep-renew"
    ),
]
