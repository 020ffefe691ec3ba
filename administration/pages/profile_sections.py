"""The profile editor's sections: each one a page of its own (``?section=subject``) that
shows and saves only its fields and rule tables, the rest of the profile untouched.

A section has groups of the ProfileForm's fields (each group a fieldset with its legend)
and the rule tables (formsets) it edits. The new-profile page shows every section in one
form: a profile is created whole."""

from dataclasses import dataclass, field

from django.http import Http404

from administration.profile_shapes import LIFECYCLE
from profiles.models import APPROVAL_WORKFLOWS

ACME_TITLE = "ACME"
TRIGGERS_TITLE = "Triggers"


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # formset keys: subject, san, label

    def field_names(self) -> list[str]:
        return [name for _, names in self.groups for name in names]


SECTIONS = [
    Section(
        "general",
        "General",
        [
            (
                "General",
                [
                    "name",
                    "display_name",
                    "description",
                    "module",
                    "enabled",
                    "ca",
                    "extended_key_usages",
                    "ocsp_in_aia",
                ],
            )
        ],
    ),
    Section("subject", "Subject", rules=["subject"]),
    Section(
        "sans",
        "SANs",
        [
            (
                "DNS names",
                ["allow_wildcards", "dns_names_fully_qualified", "allow_mixed_script_labels"],
            )
        ],
        rules=["san"],
    ),
    Section(
        "labels",
        "Labels, owner, team",
        [
            (
                "Owner, team and contact email",
                [
                    "owner_mandatory",
                    "owner_editable_by_requester",
                    "owner_editable_by_approver",
                    "team_mandatory",
                    "team_editable_by_requester",
                    "team_editable_by_approver",
                    "team_default",
                    "team_whitelist",
                    "team_members_only",
                    "contact_email_mandatory",
                    "contact_email_editable_by_requester",
                    "contact_email_editable_by_approver",
                    "contact_email_regex",
                ],
            )
        ],
        rules=["label"],
    ),
    Section(
        "keys",
        "Keys and PKCS#12",
        [
            (
                "Keys (crypto policy)",
                [
                    "centralized",
                    "decentralized",
                    "authorized_key_types",
                    "default_key_type",
                    "escrow",
                    "p12_password_mode",
                    "password_policy",
                    "p12_encryption",
                ],
            )
        ],
    ),
    Section(
        "lifetimes",
        "Lifetimes",
        [
            (
                "Certificates",
                ["validity_days", "renewal_enabled", "renewal_period_days"],
            ),
            ("Expiry notices", ["expiry_notice_days"]),
            (
                "Requests (days a request waits for a decision)",
                [f"{workflow}_request_expiry_days" for workflow in LIFECYCLE],
            ),
        ],
    ),
    Section(
        "permissions",
        "Permissions",
        [
            (
                "Access",
                [
                    *(f"everyone_{workflow}" for workflow in LIFECYCLE),
                    "self_revoke",
                    "self_update",
                    "self_renew",
                    "self_recover",
                    "self_pop_revoke",
                    "self_pop_update",
                    "self_pop_renew",
                ],
            ),
            (
                "Dual control (distinct approvals a request needs; never its requester)",
                [f"{workflow}_approvals_required" for workflow in APPROVAL_WORKFLOWS],
            ),
            ("Holder limit", ["max_per_holder", "max_per_holder_behavior"]),
        ],
    ),
    Section(
        "protocols",
        "Protocols",
        [
            (
                "EST / SCEP devices",
                ["challenge_enabled", "dn_whitelist", "challenge_password_mode"],
            ),
            (
                ACME_TITLE,
                [
                    "acme_eab_required",
                    "acme_unbound_level",
                    "acme_challenge_types",
                    "acme_order_lifetime",
                    "acme_verify_retry_count",
                    "acme_verify_retry_delay",
                    "acme_max_dns_names",
                    "acme_terms_of_service",
                    "acme_website",
                ],
            ),
        ],
    ),
    # The trigger fields are made per event (ProfileForm._add_trigger_fields).
    Section("triggers", TRIGGERS_TITLE, [(TRIGGERS_TITLE, [])]),
]
BY_SLUG = {section.slug: section for section in SECTIONS}
GROUPS = [group for section in SECTIONS for group in section.groups]
DEFAULT_SECTION = "general"


def section_named(slug: str | None) -> Section | None:
    """The section of ``?section=`` (None: the whole profile); 404 for an unknown one."""
    if slug is None:
        return None
    if slug not in BY_SLUG:
        raise Http404("no such section of the profile editor")
    return BY_SLUG[slug]
