from django import forms
from django.contrib import admin

from certificates.pki.keys import KEY_TYPE_CHOICES
from certificates.pki.signing import EKU_CHOICES
from profiles.models import (
    Grant,
    LabelRule,
    PasswordPolicy,
    Profile,
    SanRule,
    SubjectRule,
    Team,
)


class ProfileForm(forms.ModelForm):
    authorized_key_types = forms.MultipleChoiceField(
        choices=KEY_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    extended_key_usages = forms.MultipleChoiceField(
        choices=EKU_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Profile
        fields = "__all__"


class LabelRuleForm(forms.ModelForm):
    enum = forms.CharField(
        required=False, help_text="Allowed values, separated by spaces or commas (empty: any)."
    )

    class Meta:
        model = LabelRule
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["enum"] = " ".join(self.instance.enum)

    def clean_enum(self):
        return [item for item in self.cleaned_data["enum"].replace(",", " ").split() if item]


class SubjectRuleInline(admin.TabularInline):
    model = SubjectRule
    extra = 0
    fields = [
        "position",
        "element",
        "value",
        "mandatory",
        "editable_by_requester",
        "editable_by_approver",
        "regex",
    ]


class SanRuleInline(admin.TabularInline):
    model = SanRule
    extra = 0
    fields = ["san_type", "min", "max", "editable_by_requester", "editable_by_approver", "regex"]


class LabelRuleInline(admin.TabularInline):
    model = LabelRule
    form = LabelRuleForm
    extra = 0
    fields = [
        "label",
        "value",
        "enum",
        "mandatory",
        "editable_by_requester",
        "editable_by_approver",
        "regex",
    ]


class GrantInline(admin.TabularInline):
    model = Grant
    extra = 0
    fields = ["workflow", "level", "user", "team"]
    autocomplete_fields = ["user", "team"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    form = ProfileForm
    list_display = ["name", "display_name", "module", "enabled", "ca", "validity_days"]
    list_filter = ["module", "enabled"]
    search_fields = ["name", "display_name"]
    inlines = [SubjectRuleInline, SanRuleInline, LabelRuleInline, GrantInline]
    fieldsets = [
        (None, {"fields": ["name", "display_name", "description", "module", "enabled"]}),
        ("Issuance", {"fields": ["ca", "validity_days", "extended_key_usages"]}),
        (
            "Keys",
            {
                "fields": [
                    "centralized",
                    "decentralized",
                    "authorized_key_types",
                    "default_key_type",
                    "escrow",
                ]
            },
        ),
        ("PKCS#12 password", {"fields": ["p12_password_mode", "password_policy"]}),
        (
            "Owner, team and contact email",
            {
                "fields": [
                    (
                        "owner_mandatory",
                        "owner_editable_by_requester",
                        "owner_editable_by_approver",
                    ),
                    ("team_mandatory", "team_editable_by_requester", "team_editable_by_approver"),
                    "team_default",
                    (
                        "contact_email_mandatory",
                        "contact_email_editable_by_requester",
                        "contact_email_editable_by_approver",
                    ),
                    "contact_email_regex",
                ]
            },
        ),
        (
            "Lifecycle",
            {
                "fields": [
                    "renewal_enabled",
                    "renewal_period_days",
                    "max_per_holder",
                    "max_per_holder_behavior",
                ]
            },
        ),
        (
            "Request expiry (days a pending request waits)",
            {
                "fields": [
                    (
                        "enroll_request_expiry_days",
                        "revoke_request_expiry_days",
                        "update_request_expiry_days",
                    ),
                    (
                        "renew_request_expiry_days",
                        "recover_request_expiry_days",
                        "migrate_request_expiry_days",
                    ),
                ]
            },
        ),
        (
            "Dual control (distinct approvals a pending request needs)",
            {
                "fields": [
                    (
                        "enroll_approvals_required",
                        "revoke_approvals_required",
                        "update_approvals_required",
                        "renew_approvals_required",
                    ),
                    (
                        "recover_approvals_required",
                        "migrate_approvals_required",
                        "import_approvals_required",
                    ),
                ]
            },
        ),
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "contact_email"]
    search_fields = ["name", "display_name"]
    filter_horizontal = ["members"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["profile", "workflow", "level", "user", "team"]
    list_filter = ["profile", "workflow", "level"]
    search_fields = ["profile__name", "user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(PasswordPolicy)
class PasswordPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "min_length",
        "max_length",
        "min_upper",
        "min_lower",
        "min_digits",
        "min_special",
    ]
    search_fields = ["name"]
