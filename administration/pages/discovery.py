"""Discovery campaigns under /manage/discovery/: list, create, edit, enable/disable, flush and
delete — through the same service functions as Horizon's DiscoveryCampaignApi
(discovery/services.py). A campaign's page also lists the certificates it found.

The portal does not scan: hosts and ports are what the scanners that feed the campaign read."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from administration.pages.access import staff_required
from administration.pages.directory_forms import check_not_reserved
from administration.pages.listing import SearchQuery, search_page
from discovery import services
from discovery.models import AccessLevel, Discovery, DiscoveryCampaign
from discovery.validation import CampaignData, checked_hosts, checked_ports
from raportal.errors import DomainError
from raportal.query_strings import reads_query

PAGE_SIZE = 50
FOUND_PAGE_SIZE = 50


def _split(text: str) -> list[str]:
    """Entries one per line or separated by commas or spaces."""
    return [item for item in text.replace(",", " ").split() if item]


class CampaignForm(forms.Form):
    name = forms.SlugField(
        max_length=DiscoveryCampaign._meta.get_field("name").max_length,
        help_text="Letters, digits, - and _: how scanners and the API name the campaign.",
    )
    description = forms.CharField(
        required=False,
        max_length=DiscoveryCampaign._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    enabled = forms.BooleanField(
        required=False, initial=True, help_text="Only an enabled campaign can be fed."
    )
    search_level = forms.ChoiceField(
        label="Who may see what it found",
        choices=AccessLevel.choices,
        initial=AccessLevel.AUTHORIZED,
        widget=forms.RadioSelect,
        help_text="Staff always may. Others: every signed-in account, or those given "
        "discovery:search on this campaign (principal infos).",
    )
    feed_level = forms.ChoiceField(
        label="Who may feed it",
        choices=AccessLevel.choices,
        initial=AccessLevel.AUTHORIZED,
        widget=forms.RadioSelect,
        help_text="Staff always may. Others: every signed-in account, or those given "
        "discovery:feed on this campaign (principal infos).",
    )
    hosts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What scanners should scan: host names, IP addresses, CIDR blocks or ranges, "
        "one per line or separated by commas. The portal itself never scans.",
    )
    ports = forms.CharField(
        required=False,
        help_text="Ports or ranges (443, 8000-8100), separated by commas.",
    )
    event_on_success = forms.BooleanField(required=False, label="Event on success")
    event_on_warning = forms.BooleanField(required=False, label="Event on warning")
    event_on_failure = forms.BooleanField(
        required=False,
        label="Event on failure",
        help_text="Stored for Horizon's tools; the portal keeps no discovery events.",
    )

    def clean_name(self):
        return check_not_reserved(self.cleaned_data["name"])

    def clean_hosts(self):
        return _checked(checked_hosts, _split(self.cleaned_data["hosts"]))

    def clean_ports(self):
        return _checked(checked_ports, _split(self.cleaned_data["ports"]))

    def data_for_services(self) -> CampaignData:
        data = self.cleaned_data
        return CampaignData(
            name=data["name"],
            description=data["description"].strip(),
            enabled=data["enabled"],
            search_level=data["search_level"],
            feed_level=data["feed_level"],
            event_on_success=data["event_on_success"],
            event_on_warning=data["event_on_warning"],
            event_on_failure=data["event_on_failure"],
            hosts=data["hosts"],
            ports=data["ports"],
        )

    @classmethod
    def initial_of(cls, campaign: DiscoveryCampaign) -> dict:
        initial = {name: getattr(campaign, name) for name in cls.base_fields}
        initial["hosts"] = "\n".join(campaign.hosts)
        initial["ports"] = ", ".join(campaign.ports)
        return initial


def _checked(check, values: list[str]) -> list[str]:
    try:
        return check(values)
    except DomainError as exc:
        raise forms.ValidationError(next(iter(exc.fields.values()), exc.detail)) from None


@staff_required
@reads_query(SearchQuery)
def campaign_list(request, query: SearchQuery):
    campaigns = DiscoveryCampaign.objects.annotate(
        found=Count("discoveries"), last_feed=Max("discoveries__last_seen")
    ).order_by("name")
    return search_page(
        request,
        query,
        campaigns,
        ("name", "description"),
        PAGE_SIZE,
        "administration/campaigns.html",
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(request.user, form.data_for_services())
        except DomainError as exc:
            form.add_error("name", exc.detail)
        else:
            messages.success(request, f"Campaign {campaign.name} created.")
            return redirect("admin-campaign-edit", campaign.name)
    return render(request, "administration/campaign_form.html", {"form": form, "created": True})


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_edit(request, name: str):
    campaign = get_object_or_404(DiscoveryCampaign, name=name)
    form = CampaignForm(request.POST or None, initial=CampaignForm.initial_of(campaign))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.update_campaign(request.user, name, form.data_for_services())
        except DomainError as exc:
            form.add_error("name", exc.detail)
        else:
            messages.success(request, f"Campaign {campaign.name} saved.")
            return redirect("admin-campaign-edit", campaign.name)
    found = (
        Discovery.objects.filter(campaign=campaign)
        .select_related("certificate")
        .annotate(host_count=Count("hosts"))
        .order_by("-last_seen", "pk")
    )
    page = Paginator(found, FOUND_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "administration/campaign_form.html",
        {"form": form, "campaign": campaign, "created": False, "page": page},
    )


@staff_required
@require_http_methods(["POST"])
def campaign_enabled(request, name: str):
    wanted = request.POST.get("enabled")
    if wanted not in ("0", "1"):
        messages.error(request, "Choose to enable or to disable the campaign.")
        return redirect("admin-campaign-list")
    enable = wanted == "1"
    try:
        services.set_enabled(request.user, name, enable)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("admin-campaign-list")
    messages.success(request, f"Campaign {name} {'enabled' if enable else 'disabled'}.")
    return redirect("admin-campaign-edit", name)


@staff_required
@require_http_methods(["POST"])
def campaign_flush(request, name: str):
    get_object_or_404(DiscoveryCampaign, name=name)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, forget what it found” to confirm, then flush.")
        return redirect("admin-campaign-edit", name)
    found = services.flush_campaign(request.user, name)
    plural = "s" if found != 1 else ""
    messages.success(
        request,
        f"Campaign {name} flushed: it no longer lists {found} certificate{plural} (they stay "
        "in the inventory).",
    )
    return redirect("admin-campaign-edit", name)


@staff_required
@require_http_methods(["POST"])
def campaign_delete(request, name: str):
    get_object_or_404(DiscoveryCampaign, name=name)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, delete this campaign” to confirm, then delete.")
        return redirect("admin-campaign-edit", name)
    services.delete_campaign(request.user, name)
    messages.success(request, f"Campaign {name} deleted.")
    return redirect("admin-campaign-list")
