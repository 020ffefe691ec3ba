from django.contrib import admin

from certificates.models import Certificate, CertificateAuthority, ExpiryNotice


@admin.register(CertificateAuthority)
class CertificateAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "key_type", "signs", "crl_number", "created_at"]
    readonly_fields = [
        "name",
        "parent",
        "key_type",
        "signs",
        "certificate_pem",
        "crl_number",
        "crl_next_update",
        "created_at",
    ]
    fields = [
        "name",
        "parent",
        "key_type",
        "signs",
        "certificate_lifetime",
        "backdate",
        "crl_validity_hours",
        "certificate_pem",
        "crl_number",
        "crl_next_update",
        "created_at",
    ]

    @admin.display(boolean=True, description="has its key (signs)")
    def signs(self, obj):
        return obj.has_key  # the key itself is never shown

    def has_add_permission(self, request):
        # CAs are created with `manage.py init_pki`, which seals their keys, or through the
        # admin API (/api/v1/pki/connectors with a key, /api/v1/cas for trust entries).
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["dn", "serial", "profile", "not_after", "revocation_date", "owner", "team"]
    list_filter = ["profile", "module", "revocation_reason"]
    search_fields = ["dn", "serial", "thumbprint", "holder_id"]
    list_select_related = ["profile", "owner", "team"]
    readonly_fields = [f.name for f in Certificate._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExpiryNotice)
class ExpiryNoticeAdmin(admin.ModelAdmin):
    """What the expiry notices did (certificates/expiry_notices.py), read only: the rows are
    the claims that keep each notice to one mail."""

    list_display = ["certificate", "threshold_days", "state", "attempts", "sent_at", "claimed_at"]
    list_filter = ["state", "threshold_days"]
    list_select_related = ["certificate"]
    search_fields = ["certificate__dn", "certificate__serial"]
    readonly_fields = [f.name for f in ExpiryNotice._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
