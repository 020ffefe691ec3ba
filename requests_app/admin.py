from django.contrib import admin

from requests_app.models import Request

SECRET_FIELDS = {
    "sealed_password",
    "sealed_pkcs12",
    "sealed_key",
    "challenge_hash",
    "challenge_tag",
}


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["id", "workflow", "status", "profile", "requester_name", "dn", "created_at"]
    list_filter = ["status", "workflow", "profile"]
    search_fields = ["id", "dn", "requester__username", "requester_identifier", "holder_id"]
    list_select_related = ["profile", "requester"]
    # Sealed secrets are never shown, not even encrypted.
    fields = readonly_fields = tuple(
        f.name for f in Request._meta.fields if f.name not in SECRET_FIELDS
    )

    @admin.display(description="requester", ordering="requester__username")
    def requester_name(self, obj):
        return obj.requester_name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through the services (approve/deny/cancel)
