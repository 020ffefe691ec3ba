"""SCEP at /scep/<profile> and /scep/<profile>/pkiclient.exe (RFC 8894 §4.1: the path is
the client's configured URL; "pkiclient.exe" is the historical CGI name many clients add), and
at Microsoft NDES's path /certsrv/mscep/mscep.dll for RAPORTAL_SCEP_DEFAULT_PROFILE, for
devices configured for NDES."""

from django.urls import path

from scep import views

urlpatterns = [
    path("scep/<slug:profile>", views.scep, name="scep"),
    path("scep/<slug:profile>/pkiclient.exe", views.scep, name="scep-pkiclient"),
    path("certsrv/mscep/mscep.dll", views.scep, name="scep-ndes"),
    path("certsrv/mscep/mscep.dll/pkiclient.exe", views.scep, name="scep-ndes-pkiclient"),
]
