"""Profiles in Horizon's shapes (WebRAProfile, EstProfile, ScepProfile, AcmeProfile) and back.

``profile_json`` writes what Horizon's admin API answers; ``apply_profile`` reads what it is
sent (already validated by the client's model) into a Profile and its rule rows, checks the
whole result and saves it in one transaction. What Horizon has and we do not act on is
returned as a list of ignored fields. Our own settings that Horizon's shape lacks (validity,
extended key usages, wildcards, expiry notice days) travel in an extra ``raportal`` object,
so an exported configuration reproduces the profile exactly.

How Horizon's ``authorizationLevels`` map onto our grants: ``authorized`` = the principal
needs an explicit grant (a Grant row, given through principal infos, the grants page or the
configuration file); ``authenticated`` = any signed-in account, stored per workflow in
``Profile.authenticated_levels``. ``enroll``/``revoke``/… are our ``perform``,
``requestEnroll``/… our ``request``. ``approveEnroll``/… is the right to approve, which in
RA Portal comes with ``perform``: it is written ``authenticated`` when everyone performs, and
read, alone, as not granted (it would let every account act without approval; give approvers
an explicit grant). Other access levels are read as ``authorized`` (the stricter).

ACME profiles (AcmeProfile): ``meta`` is the directory's meta (RFC 8555 §7.1.1:
``externalAccountRequired``, ``termsOfService``, ``website``), ``authorizationMethods`` the
challenges offered (http-01, dns-01), ``timeout`` how long an order stays open,
``verifyRetryCount``/``verifyRetryDelay`` the validation attempts, ``maxDnsName`` the most
names per order, ``authorizeShortName`` the opposite of our ``dnsNamesFullyQualified``.
``requireTermsOfService`` is true exactly when a terms-of-service URL is set (the server then
requires ``termsOfServiceAgreed``). What an account bound to no user or team may do
(``acme_unbound_level``) is ours: ``raportal.acmeUnboundLevel``.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from administration.localized import from_localized, localized
from certificates.models import CertificateAuthority
from certificates.pki import names
from certificates.pki.keys import KEY_TYPES
from profiles.models import (
    ACME_CHALLENGE_TYPES,
    APPROVAL_WORKFLOWS,
    MAX_APPROVALS,
    GrantLevel,
    HolderBehavior,
    Label,
    LabelRule,
    P12Encryption,
    PasswordMode,
    PasswordPolicy,
    Profile,
    SanRule,
    SubjectRule,
    Team,
    Workflow,
)
from profiles.validation import rule_problems
from raportal.durations import format_duration, parse_duration, whole_days
from raportal.errors import invalid_request
from triggers.profile_triggers import read_profile_triggers

MODULES = ("webra", "est", "scep", "acme")
LIFECYCLE = ("enroll", "revoke", "update", "renew", "recover", "migrate")
AUTHENTICATED = "authenticated"
AUTHORIZED = "authorized"


def _cap(workflow: str) -> str:
    return workflow[0].upper() + workflow[1:]


def _days(value: int) -> str:
    return format_duration(dt.timedelta(days=value))


# --- profile → Horizon ----------------------------------------------------------------------


def authorization_levels(profile: Profile) -> dict[str, Any]:
    out = {"search": {"accessLevel": AUTHORIZED}}
    levels = profile.authenticated_levels or {}
    for workflow in LIFECYCLE:
        everyone = levels.get(workflow)
        perform = AUTHENTICATED if everyone == GrantLevel.PERFORM else AUTHORIZED
        request = AUTHENTICATED if everyone else AUTHORIZED
        out[workflow] = {"accessLevel": perform}
        out[f"request{_cap(workflow)}"] = {"accessLevel": request}
        out[f"approve{_cap(workflow)}"] = {"accessLevel": perform}
    return out


def _flags(rule) -> dict[str, Any]:
    return {
        "editableByRequester": rule.editable_by_requester,
        "editableByApprover": rule.editable_by_approver,
        "regex": rule.regex or None,
    }


def certificate_template(profile: Profile) -> dict[str, Any]:
    subject_rules = list(profile.subject_rules.all())
    types = names.profile_types([r.element for r in subject_rules])  # Horizon's CN, OU…
    return {
        "subject": [
            {"type": kind, "value": r.value or None, "mandatory": r.mandatory, **_flags(r)}
            for kind, r in zip(types, subject_rules, strict=True)
        ],
        "sans": [
            {"type": r.san_type, "min": r.min, "max": r.max, **_flags(r)}
            for r in profile.san_rules.all()
        ],
        "labels": [
            {
                "label": r.label,
                "value": r.value or None,
                "mandatory": r.mandatory,
                "enum": r.enum or None,
                **_flags(r),
            }
            for r in profile.label_rules.all()
        ],
        "ownerPolicy": {
            "mandatory": profile.owner_mandatory,
            "editableByRequester": profile.owner_editable_by_requester,
            "editableByApprover": profile.owner_editable_by_approver,
        },
        "teamPolicy": {
            "mandatory": profile.team_mandatory,
            "editableByRequester": profile.team_editable_by_requester,
            "editableByApprover": profile.team_editable_by_approver,
            "value": profile.team_default.name if profile.team_default is not None else None,
            "whitelist": sorted(team.name for team in profile.team_whitelist.all()) or None,
        },
        "contactEmailPolicy": {
            "mandatory": profile.contact_email_mandatory,
            "editableByRequester": profile.contact_email_editable_by_requester,
            "editableByApprover": profile.contact_email_editable_by_approver,
            "regex": profile.contact_email_regex or None,
        },
    }


def profile_json(profile: Profile) -> dict[str, Any]:
    """The profile in its module's Horizon shape (+ ``_id`` and our ``raportal`` extras)."""
    body: dict[str, Any] = {
        "_id": str(profile.pk),
        "module": profile.module,
        "name": profile.name,
        "displayName": localized(profile.display_name),
        "description": localized(profile.description),
        "enabled": profile.enabled,
        "authorizationMode": "authorized",
        "pkiConnector": profile.ca.name,
        "authorizationLevels": authorization_levels(profile),
        "requestsPolicy": {
            workflow: _days(profile.request_expiry_days(workflow)) for workflow in LIFECYCLE
        },
        "selfPermissions": {
            "selfRevoke": profile.self_revoke,
            "selfUpdate": profile.self_update,
            "selfRenew": profile.self_renew,
            "selfRecover": profile.self_recover,
            "selfPopRevoke": profile.self_pop_revoke,
            "selfPopUpdate": profile.self_pop_update,
            "selfPopRenew": profile.self_pop_renew,
        },
        "cryptoPolicy": {
            "centralized": profile.centralized,
            "decentralized": profile.decentralized,
            "defaultKeyType": profile.default_key_type,
            "authorizedKeyTypes": list(profile.authorized_key_types or []),
            "escrow": profile.escrow,
            "p12passwordMode": profile.p12_password_mode,
            "p12storeEncryptionType": profile.p12_encryption,
            "p12passwordPolicy": profile.password_policy.name
            if profile.password_policy is not None
            else None,
        },
        "maxCertificatePerHolderPolicy": (
            {"max": profile.max_per_holder, "behavior": profile.max_per_holder_behavior}
            if profile.max_per_holder
            else None
        ),
        "renewalPeriod": _days(profile.renewal_period_days) if profile.renewal_enabled else None,
        "triggers": profile.triggers or None,
        "raportal": {
            "validityDays": profile.validity_days,
            "extendedKeyUsages": list(profile.extended_key_usages or []),
            # The CA's OCSP responder named in the certificates' AIA (README, "OCSP").
            "ocspInAia": profile.ocsp_in_aia,
            "allowWildcards": profile.allow_wildcards,
            "allowMixedScriptLabels": profile.allow_mixed_script_labels,
            "renewalEnabled": profile.renewal_enabled,
            # Stricter than Horizon, when asked (off by default, as Horizon behaves).
            "dnsNamesFullyQualified": profile.dns_names_fully_qualified,
            "teamMembersOnly": profile.team_members_only,
            # Days before expiry at which owners and teams are mailed (most distant first).
            "expiryNoticeDays": list(profile.expiry_notice_days or []),
            # Dual control: Horizon's profile shapes have no approval count (the client's
            # RequestsPolicy holds expiry durations only), so it travels with our extras.
            "approvalsRequired": {
                workflow: profile.approvals_required(workflow) for workflow in APPROVAL_WORKFLOWS
            },
        },
    }
    if profile.module == "webra":
        body["certificateTemplate"] = certificate_template(profile)
    else:
        # EST and SCEP: devices enroll with one-time challenges created in the portal.
        body["dnWhitelist"] = profile.dn_whitelist
        body["passwordPolicy"] = None
        # Devices enroll with a one-time challenge created in the portal, or not at all.
        body["authorizationMode"] = "challenge" if profile.challenge_enabled else "authorized"
        body["raportal"]["challengePasswordMode"] = profile.challenge_password_mode
        body["certificateTemplate"] = certificate_template(profile)
    if profile.module == "acme":
        body.pop("authorizationMode")  # not in AcmeProfile: accounts, not challenges
        body["certificateTemplate"] = certificate_template(profile)
        body |= acme_settings(profile)
        body["raportal"]["acmeUnboundLevel"] = profile.acme_unbound_level
    if profile.module == "est":
        body["ca"] = profile.ca.name
    if profile.module == "scep":
        body |= {
            "mode": "ca",
            "scepRA": profile.ca.name,
            "caps": ["AES", "SHA-256", "Renewal"],
            "encryptionAlgorithm": "aes256",
        }
    return body


def acme_settings(profile: Profile) -> dict[str, Any]:
    """The AcmeProfile fields of an ACME profile (see the module's docstring)."""
    return {
        "timeout": format_duration(profile.acme_order_lifetime),
        "meta": {
            "externalAccountRequired": profile.acme_eab_required,
            "termsOfService": profile.acme_terms_of_service or None,
            "website": profile.acme_website or None,
        },
        "authorizationMethods": list(profile.acme_challenge_types or []),
        "authorizeShortName": not profile.dns_names_fully_qualified,
        # Contacts are optional (RFC 8555 §7.3): an account may have none.
        "authorizeEmptyContact": True,
        "verifyRetryCount": profile.acme_verify_retry_count,
        "verifyRetryDelay": format_duration(profile.acme_verify_retry_delay),
        "requireTermsOfService": bool(profile.acme_terms_of_service),
        "maxDnsName": profile.acme_max_dns_names,
    }


# --- Horizon → profile ----------------------------------------------------------------------

# Fields of the Horizon shapes we do not act on (only reported when sent with a value).
IGNORED_TOP = (
    "csrDataMapping",
    "gradingPolicies",
    "validationRuleset",
    "dsFlow",
    "autoRenewalPolicy",
    "termsOfService",
    "constraints",
    "enrollAuthorizedCas",
    "renewalAuthorizedCas",
    "postPKIOperation",
    "passwordPolicy",
)
# SCEP's mode, scepRA, caps and encryptionAlgorithm are required by its shape (and written by
# profile_json): not reported, though the SCEP protocol itself is not served here.
IGNORED_CRYPTO = (
    "preferredEnrollmentMode",
    "showP12PasswordOnEnroll",
    "showP12OnEnroll",
    "showP12PasswordOnRecover",
    "showP12OnRecover",
    "keyAvailability",
)


# AcmeProfile fields we do not act on: the validation ports are the server's
# (RAPORTAL_ACME_HTTP_PORT), contacts are the client's, no proxy.
IGNORED_ACME = ("http01Port", "tlsAlpn01Port", "defaultContacts", "proxy")
# Challenges Horizon may list that this server does not offer (reported, not refused).
UNOFFERED_CHALLENGES = ("tls-alpn-01",)


class Collected:
    """Errors and ignored fields gathered while reading one body."""

    def __init__(self):
        self.errors: list[str] = []
        self.ignored: list[str] = []

    def ignore_if_set(self, prefix: str, obj, fields) -> None:
        for field in fields:
            value = obj.get(field) if isinstance(obj, dict) else None
            if value not in (None, False, [], {}, ""):
                self.ignored.append(f"{prefix}{field}")


def _read_levels(raw: dict[str, Any], seen: Collected) -> dict[str, Any]:
    levels = {}
    for workflow in LIFECYCLE:

        def access(key):
            value = (raw.get(key) or {}).get("accessLevel")
            if value not in (None, AUTHORIZED, AUTHENTICATED):
                seen.ignored.append(f"authorizationLevels.{key}={value} (read as authorized)")
            return value == AUTHENTICATED

        approve = f"approve{_cap(workflow)}"
        if access(workflow):
            levels[workflow] = GrantLevel.PERFORM.value  # which approves others' too
        else:
            if access(f"request{_cap(workflow)}"):
                levels[workflow] = GrantLevel.REQUEST.value
            if access(approve):
                # Approving is part of perform here: granting it to every account would
                # let everyone act without approval. Grant it explicitly instead.
                seen.ignored.append(f"authorizationLevels.{approve}=authenticated (not granted)")
    seen.ignore_if_set(
        "authorizationLevels.", raw, ("enrollApi", "renewApi", "recoverApi", "auditRequest")
    )
    return levels


def _rule_flags(raw: dict[str, Any], defaults=True) -> dict[str, Any]:
    return {
        "editable_by_requester": raw.get("editableByRequester", defaults) is not False,
        "editable_by_approver": raw.get("editableByApprover", defaults) is not False,
        "regex": raw.get("regex") or "",
    }


def _read_template(
    raw: dict[str, Any], seen: Collected
) -> tuple[list[Any], list[Any], list[Any], dict[str, Any]]:
    subject, sans, labels, policies = [], [], [], {}
    elements = raw.get("subject") or []
    spelled = [str(element.get("type") or "") for element in elements]
    try:
        element_names = names.profile_elements(spelled)
    except ValueError as exc:
        seen.errors.append(f"certificateTemplate.subject: {exc}")
        element_names = spelled
    for position, (element, name) in enumerate(zip(elements, element_names, strict=True)):
        subject.append(
            SubjectRule(
                element=name,
                value=element.get("value") or "",
                mandatory=bool(element.get("mandatory")),
                position=position,
                **_rule_flags(element),
            )
        )
        seen.ignore_if_set(
            f"certificateTemplate.subject[{position}].", element, ("computationRule",)
        )
    for index, element in enumerate(raw.get("sans") or []):
        san_type = str(element.get("type") or "").upper()
        if san_type not in names.SAN_TYPES:
            seen.errors.append(
                f"certificateTemplate.sans[{index}].type: {san_type!r} is not one of "
                f"{', '.join(names.SAN_TYPES)}"
            )
        minimum = element.get("min") or 0
        maximum = element.get("max") if element.get("max") is not None else 1
        sans.append(
            SanRule(
                san_type=san_type,
                min=minimum,
                max=maximum,
                mandatory=minimum > 0,
                **_rule_flags(element),
            )
        )
        seen.ignore_if_set(f"certificateTemplate.sans[{index}].", element, ("computationRule",))
    known_labels = set(Label.objects.values_list("name", flat=True))
    for index, element in enumerate(raw.get("labels") or []):
        label = element.get("label") or ""
        if label not in known_labels:
            seen.errors.append(
                f"certificateTemplate.labels[{index}].label: no label {label!r} in the "
                "catalogue (add it with /api/v1/certificate/labels first)"
            )
        labels.append(
            LabelRule(
                label=label,
                value=element.get("value") or "",
                mandatory=bool(element.get("mandatory")),
                enum=list(element.get("enum") or []),
                **_rule_flags(element),
            )
        )
        seen.ignore_if_set(
            f"certificateTemplate.labels[{index}].", element, ("computationRule", "suggestions")
        )
    owner = raw.get("ownerPolicy") or {}
    team = raw.get("teamPolicy") or {}
    contact = raw.get("contactEmailPolicy") or {}
    policies = {
        "owner_mandatory": bool(owner.get("mandatory")),
        "owner_editable_by_requester": bool(owner.get("editableByRequester", False)),
        "owner_editable_by_approver": owner.get("editableByApprover", True) is not False,
        "team_mandatory": bool(team.get("mandatory")),
        "team_editable_by_requester": team.get("editableByRequester", True) is not False,
        "team_editable_by_approver": team.get("editableByApprover", True) is not False,
        "contact_email_mandatory": bool(contact.get("mandatory")),
        "contact_email_editable_by_requester": contact.get("editableByRequester", True)
        is not False,
        "contact_email_editable_by_approver": contact.get("editableByApprover", True) is not False,
        "contact_email_regex": contact.get("regex") or "",
    }
    default_team: str | None = team.get("value") or None
    team_names = [default_team] if default_team else []
    team_names += list(team.get("whitelist") or [])
    teams = {t.name: t for t in Team.objects.filter(name__in=team_names)}
    missing = sorted(set(team_names) - set(teams))
    if missing:
        seen.errors.append(f"certificateTemplate.teamPolicy: no team named {', '.join(missing)}")
    policies["team_default"] = teams.get(default_team) if default_team else None
    policies["_whitelist"] = [teams[n] for n in team.get("whitelist") or [] if n in teams]
    seen.ignore_if_set("certificateTemplate.ownerPolicy.", owner, ("computationRule",))
    seen.ignore_if_set("certificateTemplate.teamPolicy.", team, ("regex", "computationRule"))
    seen.ignore_if_set(
        "certificateTemplate.contactEmailPolicy.",
        contact,
        ("value", "computationRule", "whitelist"),
    )
    seen.ignore_if_set("certificateTemplate.", raw, ("extensions", "metadataPolicies"))
    return subject, sans, labels, policies


def _read_days(raw: dict[str, Any], key: str, seen: Collected, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        days = whole_days(value)
    except ValueError as exc:
        seen.errors.append(f"{where}: {exc}")
        return None
    if days < 1:
        seen.errors.append(f"{where}: at least 1 day")
        return None
    return days


def _read_approvals(profile: Profile, raw: Any, seen: Collected) -> None:
    """``raportal.approvalsRequired``: {workflow: 1..5}; a workflow it does not name keeps
    its count."""
    where = "raportal.approvalsRequired"
    if not isinstance(raw, dict):
        seen.errors.append(f"{where}: expected an object of workflow: number of approvals")
        return
    for workflow, count in raw.items():
        if workflow not in APPROVAL_WORKFLOWS:
            seen.errors.append(
                f"{where}.{str(workflow)[:40]}: not one of {', '.join(APPROVAL_WORKFLOWS)}"
            )
        elif (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not (1 <= count <= MAX_APPROVALS)
        ):
            seen.errors.append(f"{where}.{workflow}: a whole number from 1 to {MAX_APPROVALS}")
        else:
            setattr(profile, f"{workflow}_approvals_required", count)


def _read_duration(raw: dict[str, Any], key: str, seen: Collected) -> dt.timedelta | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        seen.errors.append(f"{key}: {exc}")
        return None


def _read_acme(profile: Profile, raw: dict[str, Any], extras: dict[str, Any], seen: Collected):
    """The AcmeProfile fields into the profile; the model checks the ranges (Profile.clean)."""
    meta = raw.get("meta") or {}
    if "externalAccountRequired" in meta and meta["externalAccountRequired"] is not None:
        profile.acme_eab_required = bool(meta["externalAccountRequired"])
    profile.acme_terms_of_service = meta.get("termsOfService") or ""
    profile.acme_website = meta.get("website") or ""
    seen.ignore_if_set("meta.", meta, ("caaIdentities",))
    methods = raw.get("authorizationMethods")
    if methods is not None:
        unknown = [
            str(m)[:40]
            for m in methods
            if m not in ACME_CHALLENGE_TYPES and m not in UNOFFERED_CHALLENGES
        ]
        if unknown:
            seen.errors.append(
                f"authorizationMethods: {', '.join(unknown)} not one of "
                f"{', '.join(ACME_CHALLENGE_TYPES)}"
            )
        seen.ignored += [
            f"authorizationMethods.{m} (not offered here)"
            for m in methods
            if m in UNOFFERED_CHALLENGES
        ]
        # Order kept, duplicates dropped; an empty result is refused by Profile.clean.
        profile.acme_challenge_types = list(
            dict.fromkeys(m for m in methods if m in ACME_CHALLENGE_TYPES)
        )
    if (lifetime := _read_duration(raw, "timeout", seen)) is not None:
        profile.acme_order_lifetime = lifetime
    if (delay := _read_duration(raw, "verifyRetryDelay", seen)) is not None:
        profile.acme_verify_retry_delay = delay
    if raw.get("verifyRetryCount") is not None:
        profile.acme_verify_retry_count = raw["verifyRetryCount"]
    if raw.get("maxDnsName") is not None:
        if raw["maxDnsName"] < 1:
            seen.errors.append("maxDnsName: at least 1")
        else:
            profile.acme_max_dns_names = raw["maxDnsName"]
    require_tos = raw.get("requireTermsOfService")
    if require_tos is not None and bool(require_tos) != bool(profile.acme_terms_of_service):
        seen.ignored.append(
            f"requireTermsOfService={str(bool(require_tos)).lower()} (agreement is required "
            "exactly when meta.termsOfService is set)"
        )
    if "dnsNamesFullyQualified" not in extras and raw.get("authorizeShortName") is not None:
        profile.dns_names_fully_qualified = not raw["authorizeShortName"]
    if raw.get("authorizeEmptyContact") is False:
        seen.ignored.append("authorizeEmptyContact=false (accounts may have no contact)")
    seen.ignore_if_set("", raw, IGNORED_ACME)
    if "acmeUnboundLevel" in extras:
        level = extras["acmeUnboundLevel"] or ""
        if level not in ("", *GrantLevel.values):
            seen.errors.append(
                "raportal.acmeUnboundLevel: empty (accounts without EAB cannot order), "
                "request or perform"
            )
        else:
            profile.acme_unbound_level = level


class HorizonProfile:
    """A Horizon profile document as the services' ``ProfileSource``
    (administration/services/profiles.py)."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.name: str = raw["name"]

    def write(self, profile: Profile | None) -> tuple[Profile, list[str]]:
        return apply_profile(self.raw, profile)


def apply_profile(raw: dict[str, Any], profile: Profile | None = None) -> tuple[Profile, list[str]]:
    """Creates (``profile`` None) or replaces the profile described by ``raw`` — a body the
    client's model for its module accepted. Returns the saved profile and what was ignored;
    raises REQ-002 listing every problem, leaving the database unchanged."""
    seen = Collected()
    profile = profile or Profile(name=raw["name"], module=raw["module"])
    if raw["module"] != profile.module:
        seen.errors.append("module: a profile's module cannot change")
    profile.display_name = from_localized(raw.get("displayName"))
    profile.description = from_localized(raw.get("description"))
    profile.enabled = bool(raw.get("enabled"))
    mode = raw.get("authorizationMode")
    if profile.module in ("est", "scep") and mode in ("challenge", "authorized"):
        profile.challenge_enabled = mode == "challenge"
    elif mode not in (None, "authorized"):
        seen.ignored.append(f"authorizationMode={mode} (read as authorized)")

    ca = CertificateAuthority.objects.filter(name=raw.get("pkiConnector")).first()
    if ca is None or not ca.sealed_key:
        seen.errors.append(
            f"pkiConnector: no integrated connector named {raw.get('pkiConnector')!r} "
            "(create it with /api/v1/pki/connectors first)"
        )
    else:
        profile.ca = ca  # a root too: Horizon issues from a self-signed connector

    profile.authenticated_levels = _read_levels(raw.get("authorizationLevels") or {}, seen)

    requests_policy = raw.get("requestsPolicy") or {}
    for workflow in LIFECYCLE:
        days = _read_days(requests_policy, workflow, seen, f"requestsPolicy.{workflow}")
        if days is not None:
            setattr(profile, f"{workflow}_request_expiry_days", days)

    self_permissions = raw.get("selfPermissions") or {}
    for key in ("revoke", "update", "renew", "recover"):
        setattr(profile, f"self_{key}", bool(self_permissions.get(f"self{_cap(key)}")))
    for key in ("revoke", "update", "renew"):
        setattr(profile, f"self_pop_{key}", bool(self_permissions.get(f"selfPop{_cap(key)}")))

    crypto = raw.get("cryptoPolicy") or {}
    # ACME clients send CSRs only (RFC 8555 §7.4): centralized is off unless asked for (and
    # then refused by Profile.clean).
    centralized_default = profile.module != "acme"
    profile.centralized = crypto.get("centralized", centralized_default) is not False
    profile.decentralized = crypto.get("decentralized", True) is not False
    if crypto.get("authorizedKeyTypes"):
        profile.authorized_key_types = list(crypto["authorizedKeyTypes"])
    elif not profile.authorized_key_types:
        profile.authorized_key_types = list(KEY_TYPES)  # Horizon: none listed = any
    if crypto.get("defaultKeyType"):
        profile.default_key_type = crypto["defaultKeyType"]
    elif profile.authorized_key_types and profile.default_key_type not in (
        profile.authorized_key_types
    ):
        profile.default_key_type = profile.authorized_key_types[0]
    profile.escrow = bool(crypto.get("escrow"))
    mode = crypto.get("p12passwordMode") or PasswordMode.MANUAL
    if mode not in PasswordMode.values:
        seen.errors.append(f"cryptoPolicy.p12passwordMode: one of {', '.join(PasswordMode.values)}")
    profile.p12_password_mode = mode
    encryption = crypto.get("p12storeEncryptionType") or P12Encryption.AES_STRONG
    if encryption not in P12Encryption.values:
        seen.errors.append(
            f"cryptoPolicy.p12storeEncryptionType: {str(encryption)[:40]!r} is not one of "
            f"{', '.join(P12Encryption.values)}"
        )
    profile.p12_encryption = encryption
    policy_name = crypto.get("p12passwordPolicy")
    profile.password_policy = None
    if policy_name:
        profile.password_policy = PasswordPolicy.objects.filter(name=policy_name).first()
        if profile.password_policy is None:
            seen.errors.append(
                f"cryptoPolicy.p12passwordPolicy: no password policy {policy_name!r}"
            )
    seen.ignore_if_set("cryptoPolicy.", crypto, IGNORED_CRYPTO)

    holder = raw.get("maxCertificatePerHolderPolicy")
    profile.max_per_holder = holder.get("max") if holder else None
    if holder:
        behavior = holder.get("behavior")
        if behavior not in HolderBehavior.values:
            seen.errors.append(
                f"maxCertificatePerHolderPolicy.behavior: one of {', '.join(HolderBehavior.values)}"
            )
        profile.max_per_holder_behavior = behavior
        seen.ignore_if_set("maxCertificatePerHolderPolicy.", holder, ("revocationReason",))

    renewal = raw.get("renewalPeriod")
    extras = raw.get("raportal") or {}
    profile.renewal_enabled = extras.get("renewalEnabled", True) is not False
    if renewal is not None:
        days = _read_days(raw, "renewalPeriod", seen, "renewalPeriod")
        if days is not None:
            profile.renewal_period_days = days
    if "validityDays" in extras:
        profile.validity_days = extras["validityDays"]
    if "extendedKeyUsages" in extras:
        profile.extended_key_usages = list(extras["extendedKeyUsages"] or [])
    if "ocspInAia" in extras:
        profile.ocsp_in_aia = bool(extras["ocspInAia"])
    if "allowWildcards" in extras:
        profile.allow_wildcards = bool(extras["allowWildcards"])
    if "allowMixedScriptLabels" in extras:
        profile.allow_mixed_script_labels = bool(extras["allowMixedScriptLabels"])
    # Our stricter rules, like the other extras, change only when the extras name them: a
    # body from Horizon's own tools (no extras) keeps what the profile had.
    if "dnsNamesFullyQualified" in extras:
        profile.dns_names_fully_qualified = bool(extras["dnsNamesFullyQualified"])
    if "teamMembersOnly" in extras:
        profile.team_members_only = bool(extras["teamMembersOnly"])
    if "expiryNoticeDays" in extras:  # checked with the model (Profile.clean)
        profile.expiry_notice_days = extras["expiryNoticeDays"]
    if "approvalsRequired" in extras:
        _read_approvals(profile, extras["approvalsRequired"], seen)
    if profile.module == "acme":
        _read_acme(profile, raw, extras, seen)
    if profile.module in ("est", "scep"):
        profile.dn_whitelist = bool(raw.get("dnWhitelist"))
        if extras.get("challengePasswordMode"):
            profile.challenge_password_mode = extras["challengePasswordMode"]

    template = raw.get("certificateTemplate") or {}
    subject, sans, labels, policies = _read_template(template, seen)
    whitelist = policies.pop("_whitelist")
    for field, value in policies.items():
        setattr(profile, field, value)
    if profile.module == "scep":
        seen.ignore_if_set("", raw, ("passwordPolicy",))
    seen.ignore_if_set("", raw, IGNORED_TOP)
    if "triggers" in raw:
        profile.triggers, problems = read_profile_triggers(raw.get("triggers"))
        seen.errors += problems
    if raw.get("thirdPartyDiscoverySync"):
        seen.ignored.append("thirdPartyDiscoverySync")

    rules = [*subject, *sans, *labels]
    for rule in rules:
        rule.profile = profile
    seen.errors += rule_problems(subject, sans, labels)
    _validate(profile, rules, seen)
    if seen.errors:
        raise invalid_request("; ".join(seen.errors))
    with transaction.atomic():
        profile.save()
        for model in (SubjectRule, SanRule, LabelRule):
            model.objects.filter(profile=profile).delete()
        for rule in rules:
            rule.profile = profile
        SubjectRule.objects.bulk_create(subject)
        SanRule.objects.bulk_create(sans)
        LabelRule.objects.bulk_create(labels)
        profile.team_whitelist.set(whitelist)
    return profile, seen.ignored


def _validate(profile: Profile, rules, seen: Collected) -> None:
    """Model validation (regexes compile, key types, modes…) of the profile and each rule."""
    # The CA was checked above, in the body's terms (pkiConnector).
    exclude = ["team_whitelist"] if profile.ca_id else ["team_whitelist", "ca"]
    try:
        profile.full_clean(exclude=exclude, validate_unique=profile._state.adding)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            seen.errors += [f"{field}: {message}" for message in messages]
    for rule in rules:
        try:
            rule.full_clean(exclude=["profile"], validate_unique=False)
        except ValidationError as exc:
            where = getattr(rule, "element", None) or getattr(rule, "san_type", None) or rule.label
            for field, messages in exc.message_dict.items():
                seen.errors += [f"{where} {field}: {message}" for message in messages]


__all__ = ["MODULES", "Workflow", "apply_profile", "profile_json", "rule_problems"]
