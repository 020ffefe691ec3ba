"""SCEP at /scep/<profile> and /scep/<profile>/pkiclient.exe (RFC 8894 §4.1: the path is
the client's configured URL; "pkiclient.exe" is the historical CGI name many clients add)."""

from django.urls import path

from scep import views

urlpatterns = [
    path("scep/<slug:profile>", views.scep, name="scep"),
    path("scep/<slug:profile>/pkiclient.exe", views.scep, name="scep-pkiclient"),
]
