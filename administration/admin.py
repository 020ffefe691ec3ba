"""Django's admin (/admin/) for the configuration the administration services own: profiles
save and delete through those services (audited, revision bumped, administrator checked);
teams, grants and password policies are read-only there — the /manage/ pages, the admin API
and import_config change them, through the same services.

Registered here, over profiles/admin.py's registrations: profiles/ must not import the
administration services (dependencies point one way)."""

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm

from administration.services import profiles as services
from profiles.admin import GrantAdmin, PasswordPolicyAdmin, ProfileAdmin, TeamAdmin
from profiles.models import Grant, PasswordPolicy, Profile, Team

VIA = "django-admin"


class AdminForms:
    """The admin's valid profile form and inline formsets as a ``ProfileSource``."""

    def __init__(self, form: ModelForm, formsets: list[BaseInlineFormSet]):
        self.form = form
        self.formsets = formsets

    def write(self, profile: Profile | None) -> tuple[Profile, list[str]]:
        saved = self.form.save()
        for formset in self.formsets:
            formset.instance = saved
            formset.save()
        return saved, []


class ServicedProfileAdmin(ProfileAdmin):
    def save_model(self, request: Any, obj: Profile, form: Any, change: bool) -> None:
        """Saved with its inlines in ``save_related``, as one service call."""

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        source = AdminForms(form, formsets)
        if change:
            services.update_profile(request.user, form.instance, source=source, via=VIA)
        else:
            name = form.instance.name
            services.create_profile(request.user, name=name, source=source, via=VIA)

    def delete_model(self, request: Any, obj: Profile) -> None:
        services.delete_profile(request.user, obj, via=VIA)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for profile in queryset:
            services.delete_profile(request.user, profile, via=VIA)


class ReadOnly:
    """Shown, never changed here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReadOnlyTeamAdmin(ReadOnly, TeamAdmin):
    pass


class ReadOnlyGrantAdmin(ReadOnly, GrantAdmin):
    pass


class ReadOnlyPasswordPolicyAdmin(ReadOnly, PasswordPolicyAdmin):
    pass


for model, model_admin in (
    (Profile, ServicedProfileAdmin),
    (Team, ReadOnlyTeamAdmin),
    (Grant, ReadOnlyGrantAdmin),
    (PasswordPolicy, ReadOnlyPasswordPolicyAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
