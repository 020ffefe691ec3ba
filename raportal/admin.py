from django.contrib import admin
from django.template.response import TemplateResponse

from raportal.models import ApiCredential, AuditEvent, record


@admin.register(ApiCredential)
class ApiCredentialAdmin(admin.ModelAdmin):
    list_display = [
        "api_id",
        "user",
        "description",
        "enabled",
        "created_at",
        "last_used_at",
        "expires_at",
    ]
    list_filter = ["enabled"]
    search_fields = ["api_id", "user__username", "description"]
    readonly_fields = ["created_at", "last_used_at"]
    actions = ["regenerate_key"]
    fields = [
        "api_id",
        "user",
        "description",
        "enabled",
        "expires_at",
        "created_at",
        "last_used_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        # A live key is never re-pointed at another user: create a new credential instead.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            # The key is shown once, on the page that answers this save; only its hash stays.
            request._raportal_new_key = obj.set_key()
        super().save_model(request, obj, form, change)
        if not change:
            record(request.user, "apicredential.create", obj, api_id=obj.api_id)

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_key(request, obj, request._raportal_new_key)

    @admin.action(description="Regenerate the key of the selected credential")
    def regenerate_key(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one credential.", level="error")
            return None
        credential = queryset.get()
        key = credential.set_key()
        credential.save(update_fields=["key_hash"])
        record(request.user, "apicredential.regenerate", credential, api_id=credential.api_id)
        return self._show_key(request, credential, key)

    def _show_key(self, request, credential, key):
        context = {
            **self.admin_site.each_context(request),
            "credential": credential,
            "api_key": key,
            "opts": self.model._meta,
            "title": "API key created",
        }
        response = TemplateResponse(request, "admin/raportal/api_key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__username", "action"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
