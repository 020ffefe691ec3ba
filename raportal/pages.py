"""The portal's landing page."""

from django.shortcuts import render

from certificates.models import CertificateAuthority


def home(request):
    cas = CertificateAuthority.objects.select_related("parent").order_by("created_at")
    return render(request, "home.html", {"cas": cas})
