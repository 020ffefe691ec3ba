"""The portal's landing page."""

from django.shortcuts import render

from certificates.models import CertificateAuthority
from profiles.models import Profile


def home(request):
    cas = CertificateAuthority.objects.select_related("parent").order_by("created_at")
    profiles = Profile.objects.enabled().order_by("name") if request.user.is_authenticated else []
    return render(request, "home.html", {"cas": cas, "profiles": profiles})
