"""The raw tables in Django's admin (/admin/); campaigns are managed under /manage/discovery/,
through the services, which audit every change."""

from django.contrib import admin

from discovery.models import CampaignPermission, DiscoveredHost, Discovery, DiscoveryCampaign


@admin.register(DiscoveryCampaign)
class DiscoveryCampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "search_level", "feed_level", "updated_at")
    search_fields = ("name", "description")


@admin.register(CampaignPermission)
class CampaignPermissionAdmin(admin.ModelAdmin):
    list_display = ("campaign", "user", "right")
    list_select_related = ("campaign", "user")


class DiscoveredHostInline(admin.TabularInline):
    model = DiscoveredHost
    extra = 0


@admin.register(Discovery)
class DiscoveryAdmin(admin.ModelAdmin):
    list_display = ("certificate", "campaign", "last_seen", "identifier")
    list_select_related = ("certificate", "campaign")
    raw_id_fields = ("certificate",)
    inlines = [DiscoveredHostInline]
