"""The admin pages' home (/manage/): one card per area."""

from django.contrib.auth import get_user_model
from django.shortcuts import render

from administration.pages.access import staff_required
from certificates.models import CertificateAuthority
from discovery.models import DiscoveryCampaign
from profiles.models import Label, Profile, Team
from triggers.models import Trigger


@staff_required
def home(request):
    counts = {
        "profiles": Profile.objects.count(),
        "teams": Team.objects.count(),
        "accounts": get_user_model().objects.count(),
        "labels": Label.objects.count(),
        "campaigns": DiscoveryCampaign.objects.count(),
        "authorities": CertificateAuthority.objects.count(),
        "triggers": Trigger.objects.count(),
    }
    return render(request, "administration/home.html", {"counts": counts})
