"""What a requester may ask for on a profile, for one workflow (``POST
/api/v1/requests/template``): each element with its rules as they apply to the caller, and
the current values when the request concerns an existing certificate. The shapes are the
client's ``*RequestTemplateResponse`` models; forms are built from the same description."""

from typing import Any

from certificates.models import Certificate
from certificates.pki import names
from profiles.models import Profile, RuleFlags, Team
from profiles.template_rules import REQUESTER
from raportal.callers import Principal, has_account


def _editable(rule: RuleFlags, editor: str) -> bool:
    return rule.editable_by_requester if editor == REQUESTER else rule.editable_by_approver


def subject(
    profile: Profile, values: dict[str, str], editor: str = REQUESTER
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rule in profile.subject_rules.all():
        dn_type, _ = names.parse_element(rule.element)
        out.append(
            {
                "element": rule.element,
                "type": dn_type.short,
                "value": values.get(rule.element) or rule.value or None,
                "mandatory": rule.mandatory,
                "editable": _editable(rule, editor),
                "regex": rule.regex or None,
            }
        )
    return out


def sans(
    profile: Profile, values: dict[str, list[str]], editor: str = REQUESTER
) -> list[dict[str, Any]]:
    return [
        {
            "type": rule.san_type,
            "value": values.get(rule.san_type, []),
            "editable": _editable(rule, editor),
            "regex": rule.regex or None,
            "min": rule.min,
            "max": rule.max,
        }
        for rule in profile.san_rules.all()
    ]


def labels(
    profile: Profile, values: dict[str, str], editor: str = REQUESTER
) -> list[dict[str, Any]]:
    return [
        {
            "label": rule.label,
            "value": values.get(rule.label) or rule.value or None,
            "mandatory": rule.mandatory,
            "editable": _editable(rule, editor),
            "regex": rule.regex or None,
            "enum": rule.enum or None,
        }
        for rule in profile.label_rules.all()
    ]


def owner(profile: Profile, current: Principal | None, editor: str = REQUESTER) -> dict[str, Any]:
    return {
        "value": current.get_username() if current else None,
        "mandatory": profile.owner_mandatory,
        "editable": getattr(profile, f"owner_editable_by_{editor}"),
    }


def team(
    profile: Profile, current: Team | None, user: Principal, editor: str = REQUESTER
) -> dict[str, Any]:
    current = current or profile.team_default
    return {
        "value": current.name if current else None,
        "mandatory": profile.team_mandatory,
        "editable": getattr(profile, f"team_editable_by_{editor}"),
        # The teams this caller may choose: their own (a caller without an account has none).
        "authorized": list(Team.objects.filter(members=user).values_list("name", flat=True))
        if has_account(user)
        else [],
    }


def contact_email(profile: Profile, current: str, editor: str = REQUESTER) -> dict[str, Any]:
    return {
        "value": current or None,
        "mandatory": profile.contact_email_mandatory,
        "editable": getattr(profile, f"contact_email_editable_by_{editor}"),
        "regex": profile.contact_email_regex or None,
    }


def capabilities(profile: Profile) -> dict[str, Any]:
    return {
        "centralized": profile.centralized,
        "decentralized": profile.decentralized,
        "defaultKeyType": profile.default_key_type,
        "authorizedKeyTypes": profile.authorized_key_types,
        "preferredEnrollmentMode": "decentralized" if profile.decentralized else "centralized",
        "escrow": profile.escrow,
        "p12passwordMode": profile.p12_password_mode,
        "p12passwordPolicy": profile.effective_password_policy().name,
        "showP12OnEnroll": profile.centralized,
        "showP12PasswordOnEnroll": True,  # the answer carries password.value in both modes
    }


def certificate_data(
    profile: Profile, certificate: Certificate | None, user: Principal
) -> dict[str, Any]:
    """labels, owner, team, contact email (update, migrate, import)."""
    # Only an account reaches a template without a certificate (profiles/access.py: a caller
    # without one holds no level on a profile), and only an account has an email address.
    email = (user.email or "") if has_account(user) else ""
    return {
        "labels": labels(
            profile, {i["key"]: i["value"] for i in certificate.labels} if certificate else {}
        ),
        "owner": owner(profile, certificate.owner if certificate else user),
        "team": team(profile, certificate.team if certificate else None, user),
        "contactEmail": contact_email(profile, certificate.contact_email if certificate else email),
        "metadata": [],
    }


def requested_certificate(
    profile: Profile,
    user: Principal,
    *,
    subject_values: dict[str, str] | None = None,
    san_values: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """subject, SANs and certificate data of a certificate to be issued (enroll, EST, SCEP)."""
    return {
        "subject": subject(profile, subject_values or {}),
        "sans": sans(profile, san_values or {}),
        **certificate_data(profile, None, user),
    }
