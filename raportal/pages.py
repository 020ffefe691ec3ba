"""The portal's landing page."""

from django.shortcuts import render

from certificates.models import CaEntry


def home(request):
    # The public entries of the list of CAs (Horizon's "exposed on the registration
    # authority"); their certificates offered for download where the entry says so.
    cas = CaEntry.objects.public().select_related("authority__parent")
    return render(request, "home.html", {"cas": cas})
