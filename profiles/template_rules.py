"""Checks what a requester (or an approver) asks for against a profile's template rules.

One function per part of the template; each returns the normalized values the certificate
will carry, or raises DomainError with the contract's code and every problem it found:
subject → WEBRA-ENROLL-004, SANs → -005, labels → -006, owner and contact email →
CERT-ELEM-001, team → CERT-TEAM-001.

Editing rule, the same for both roles: ``current`` is what the value is before this edit (the
profile's default on submission, the request's value on approval). An element the editor
leaves out keeps its current value; one the editor sends is set to what was sent (an empty
value clears it). A value that differs from ``current`` needs the rule to be editable by
the editor.
"""

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from certificates.pki import names
from certificates.pki.invisible import check_visible, nfc
from profiles.models import Profile, Team
from raportal.callers import has_account
from raportal.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_EMAIL_LENGTH = 254  # RFC 5321 §4.5.3.1.3, and the column's size
REQUESTER = "requester"
APPROVER = "approver"


def _editable(rule, editor: str) -> bool:
    return rule.editable_by_requester if editor == REQUESTER else rule.editable_by_approver


def _element_error(code: str, field: str, message: str) -> DomainError:
    return DomainError(code, message, fields={field: message})


def _fail(code: str, problems: list[tuple[str, str]]):
    """Raises one error with every problem, each also tied to the element it concerns
    (``cn.1``, ``san:DNSNAME``, ``label:env``) so that a form can show it beside its field."""
    if problems:
        fields: dict[str, str] = {}
        for key, message in problems:
            fields[key] = f"{fields[key]}; {message}" if key in fields else message
        raise DomainError(code, "; ".join(message for _, message in problems), fields=fields)


def _matches(regex: str, value: str) -> bool:
    return not regex or re.fullmatch(regex, value) is not None


@dataclass
class CheckedTemplate:
    subject: list[tuple[str, str]] = field(default_factory=list)
    sans: list[tuple[str, str]] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    owner: "User | None" = None
    team: Team | None = None
    contact_email: str = ""


# --- subject -------------------------------------------------------------------------------


def default_subject(profile: Profile) -> dict[str, str]:
    return {rule.element: rule.value for rule in profile.subject_rules.all() if rule.value}


def check_subject(
    profile: Profile, requested: list[dict] | None, *, editor: str, current: dict[str, str]
) -> list[tuple[str, str]]:
    rules = {rule.element: rule for rule in profile.subject_rules.all()}
    problems: list[tuple[str, str]] = []
    desired: dict[str, str] = {}
    for item in requested or []:
        element, value = item["element"], nfc((item.get("value") or "").strip())
        if element not in rules:
            allowed = ", ".join(rules) or "none"
            problems.append(
                (element, f"{element} is not part of this profile's subject (allowed: {allowed})")
            )
        elif element in desired:
            problems.append((element, f"{element} is given twice"))
        else:
            desired[element] = value
    out = []
    for element, rule in rules.items():
        dn_type, _ = names.parse_element(element)
        before = current.get(element, "")
        value = desired.get(element, before)
        if value != before and not _editable(rule, editor):
            problems.append(
                (element, f"{element} cannot be changed by the {editor} (it must be {before!r})")
            )
            continue
        if not value:
            if rule.mandatory:
                problems.append((element, f"{element} is mandatory: give the {dn_type.label}"))
            continue
        try:
            value = names.check_dn_value(
                dn_type, value, mixed_scripts=profile.allow_mixed_script_labels
            )
        except ValueError as exc:
            problems.append((element, f"{element}: {exc}"))
            continue
        if not _matches(rule.regex, value):
            problems.append(
                (element, f"{element} {value!r} does not match the profile's rule {rule.regex}")
            )
            continue
        out.append((element, value))
    _fail("WEBRA-ENROLL-004", problems)
    return out


# --- subject alternative names ---------------------------------------------------------------


def check_sans(
    profile: Profile,
    requested: list[dict] | None,
    *,
    editor: str,
    current: list[tuple[str, str]],
) -> list[tuple[str, str]]:
    rules = {rule.san_type: rule for rule in profile.san_rules.all()}
    problems: list[tuple[str, str]] = []
    desired: dict[str, list[str]] = {}
    for item in requested or []:
        san_type = item["type"]
        if san_type not in rules:
            allowed = ", ".join(rules) or "none"
            problems.append(
                (
                    f"san:{san_type}",
                    f"{san_type} SANs are not allowed by this profile (allowed: {allowed})",
                )
            )
            continue
        values = desired.setdefault(san_type, [])
        for raw in item.get("value") or []:
            try:
                value = names.normalize_san(
                    san_type,
                    raw,
                    allow_wildcard=profile.allow_wildcards,
                    fully_qualified=profile.dns_names_fully_qualified,
                    mixed_scripts=profile.allow_mixed_script_labels,
                )
            except ValueError as exc:
                problems.append((f"san:{san_type}", f"{san_type}: {exc}"))
                continue
            if value in values:
                problems.append((f"san:{san_type}", f"{san_type} {value} is given twice"))
            else:
                values.append(value)
    before_by_type: dict[str, list[str]] = {}
    for san_type, value in current:
        before_by_type.setdefault(san_type, []).append(value)
    out = []
    for san_type, rule in rules.items():
        before = before_by_type.get(san_type, [])
        values = desired.get(san_type, before)
        if values != before and not _editable(rule, editor):
            problems.append(
                (f"san:{san_type}", f"{san_type} SANs cannot be changed by the {editor}")
            )
            continue
        if len(values) < rule.min:
            problems.append(
                (
                    f"san:{san_type}",
                    f"at least {rule.min} {san_type} SAN(s) required, {len(values)} given",
                )
            )
        if len(values) > rule.max:
            problems.append(
                (
                    f"san:{san_type}",
                    f"at most {rule.max} {san_type} SAN(s) allowed, {len(values)} given",
                )
            )
        for value in values:
            if not _matches(rule.regex, value):
                problems.append(
                    (f"san:{san_type}", f"{san_type} {value!r} does not match {rule.regex}")
                )
        out += [(san_type, value) for value in values]
    _fail("WEBRA-ENROLL-005", problems)
    return out


# --- labels --------------------------------------------------------------------------------


def default_labels(profile: Profile) -> dict[str, str]:
    return {rule.label: rule.value for rule in profile.label_rules.all() if rule.value}


def check_labels(
    profile: Profile,
    requested: list[dict] | None,
    *,
    editor: str,
    current: dict[str, str],
    code: str = "WEBRA-ENROLL-006",
) -> list[dict]:
    rules = {rule.label: rule for rule in profile.label_rules.all()}
    problems: list[tuple[str, str]] = []
    desired: dict[str, str] = {}
    for item in requested or []:
        label, value = item["label"], nfc((item.get("value") or "").strip())
        if label not in rules:
            allowed = ", ".join(rules) or "none"
            problems.append(
                (
                    f"label:{label}",
                    # Horizon's words (its clients match them), then the allowed ones.
                    f"Label element {label!r} is not authorized on this profile "
                    f"(allowed: {allowed})",
                )
            )
        elif label in desired:
            problems.append((f"label:{label}", f"label {label!r} is given twice"))
        else:
            desired[label] = value
    out = []
    for label, rule in rules.items():
        before = current.get(label, "")
        value = desired.get(label, before)
        if value != before and not _editable(rule, editor):
            problems.append(
                (f"label:{label}", f"label {label!r} cannot be changed by the {editor}")
            )
            continue
        if not value:
            if rule.mandatory:
                problems.append((f"label:{label}", f"label {label!r} is mandatory"))
            continue
        try:
            check_visible(value, f"label {label!r}")
        except ValueError as exc:
            problems.append((f"label:{label}", str(exc)))
            continue
        if rule.enum and value not in rule.enum:
            problems.append(
                (f"label:{label}", f"label {label!r} must be one of {', '.join(rule.enum)}")
            )
        elif not _matches(rule.regex, value):
            problems.append(
                (f"label:{label}", f"label {label!r} value {value!r} does not match {rule.regex}")
            )
        else:
            out.append({"key": label, "value": value})
    _fail(code, problems)
    return out


# --- owner, team, contact email ------------------------------------------------------------


def _policy_editable(profile: Profile, element: str, editor: str) -> bool:
    """Owner, team and contact email policies are flags on the profile itself."""
    return getattr(profile, f"{element}_editable_by_{editor}")


def _value(element: dict | None) -> str | None:
    """None when the element is absent (keep current), else its stripped value."""
    if element is None:
        return None
    return (element.get("value") or "").strip()


def check_owner(profile: Profile, requested: dict | None, *, editor: str, current):
    wanted = _value(requested)
    current_name = current.get_username() if current else ""
    if wanted is None or wanted == current_name:
        owner = current
    elif not _policy_editable(profile, "owner", editor):
        raise _element_error(
            "CERT-ELEM-001", "owner", f"the owner cannot be changed by the {editor}"
        )
    elif not wanted:
        owner = None
    else:
        owner = get_user_model().objects.filter(username=wanted, is_active=True).first()
        if owner is None:
            raise _element_error("CERT-ELEM-001", "owner", f"owner {wanted!r} is not a known user")
    if owner is None and profile.owner_mandatory:
        raise _element_error("CERT-ELEM-001", "owner", "an owner is mandatory on this profile")
    return owner


def check_team(profile: Profile, requested: dict | None, *, editor: str, current, user):
    wanted = _value(requested)
    current_name = current.name if current else ""
    if wanted is None or wanted == current_name:
        team = current
    elif not _policy_editable(profile, "team", editor):
        raise _element_error("CERT-TEAM-001", "team", f"the team cannot be changed by the {editor}")
    elif not wanted:
        team = None
    else:
        # As Horizon: any team the profile's team policy allows (its whitelist, else any
        # team); only the team's members with the profile's stricter option.
        team = Team.objects.filter(name=wanted).first()
        if team is None:
            raise _element_error(
                "CERT-TEAM-001", "team", f"Team element {wanted!r} is not authorized: no such team"
            )
        allowed = [member.name for member in profile.team_whitelist.all()]  # prefetched
        if allowed and team.name not in allowed:
            raise _element_error(
                "CERT-TEAM-001",
                "team",
                f"Team element {wanted!r} is not authorized on this profile (allowed: "
                f"{', '.join(sorted(allowed))})",
            )
        if (
            editor == REQUESTER
            and profile.team_members_only
            and not (has_account(user) and team.members.filter(pk=user.pk).exists())
        ):
            raise _element_error(
                "CERT-TEAM-001",
                "team",
                f"Team element {wanted!r} is not authorized: you are not a member of it (this "
                "profile lets requesters choose only their own teams)",
            )
    if team is None and profile.team_mandatory:
        raise _element_error("CERT-TEAM-001", "team", "a team is mandatory on this profile")
    return team


def check_contact_email_syntax(email: str) -> str:
    try:
        check_visible(email, "the contact email")
    except ValueError as exc:
        raise _element_error("CERT-ELEM-001", "contactEmail", str(exc)) from None
    if len(email) > MAX_EMAIL_LENGTH:
        raise _element_error(
            "CERT-ELEM-001", "contactEmail", "the contact email is longer than 254 characters"
        )
    try:
        validate_email(email)
    except ValidationError:
        raise _element_error(
            "CERT-ELEM-001", "contactEmail", f"{email!r} is not an email address"
        ) from None
    return email


def check_contact_email(profile: Profile, requested: dict | None, *, editor: str, current: str):
    wanted = _value(requested)
    if wanted is None or wanted == current:
        email = current
    elif not _policy_editable(profile, "contact_email", editor):
        raise _element_error(
            "CERT-ELEM-001", "contactEmail", f"the contact email cannot be changed by the {editor}"
        )
    else:
        email = wanted
    if email:
        check_contact_email_syntax(email)
        if not _matches(profile.contact_email_regex, email):
            raise DomainError(
                "CERT-ELEM-001", f"contact email {email!r} does not match the profile's rule"
            )
    elif profile.contact_email_mandatory:
        raise _element_error(
            "CERT-ELEM-001", "contactEmail", "a contact email is mandatory on this profile"
        )
    return email
