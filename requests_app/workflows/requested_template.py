"""The certificate a request asks for — subject, SANs, labels, owner, team, contact email —
checked against its profile, for the requester at submission and for the approver's edits
at approval. Shared by WebRA enroll and the EST/SCEP challenge workflows."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from certificates.holder import holder_id
from certificates.pki import names
from profiles import template_rules as rules
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.models import Request
from requests_app.workflows.certificate_data import reject_metadata


def reject_unsupported(template: dict[str, Any], *, invalid_code: str) -> None:
    if template.get("extensions"):
        raise DomainError(
            invalid_code, "this portal does not set Microsoft extensions (ms_sid, ms_template)"
        )
    reject_metadata(template)


def check_for_requester(
    profile: Profile,
    template: dict[str, Any],
    user: Principal,
    *,
    csr: x509.CertificateSigningRequest | None = None,
) -> rules.CheckedTemplate:
    requested_subject = template.get("subject")
    requested_sans = template.get("sans")
    if csr is not None:
        # The CSR proves possession of the key; its subject and SANs only fill in what the
        # template leaves out, limited to what the profile lets the requester set.
        if requested_subject is None:
            requested_subject = _csr_subject(csr, profile)
        if requested_sans is None:
            requested_sans = csr_sans(csr, profile)
    return rules.CheckedTemplate(
        subject=rules.check_subject(
            profile,
            requested_subject,
            editor=rules.REQUESTER,
            current=rules.default_subject(profile),
        ),
        sans=rules.check_sans(profile, requested_sans, editor=rules.REQUESTER, current=[]),
        labels=rules.check_labels(
            profile,
            template.get("labels"),
            editor=rules.REQUESTER,
            current=rules.default_labels(profile),
        ),
        owner=rules.check_owner(
            profile, template.get("owner"), editor=rules.REQUESTER, current=user
        ),
        team=rules.check_team(
            profile,
            template.get("team"),
            editor=rules.REQUESTER,
            current=profile.team_default,
            user=user,
        ),
        contact_email=rules.check_contact_email(
            profile,
            template.get("contactEmail"),
            editor=rules.REQUESTER,
            current=getattr(user, "email", "") or "",
        ),
    )


def check_data_only(
    profile: Profile, template: dict[str, Any], user: Principal, *, request: Request | None = None
) -> rules.CheckedTemplate:
    """Labels, owner, team and contact email only: the names will come later (a device).
    For the requester (no request yet) or the approver of ``request``."""
    editor = rules.REQUESTER if request is None else rules.APPROVER
    return rules.CheckedTemplate(
        labels=rules.check_labels(
            profile,
            template.get("labels"),
            editor=editor,
            current=rules.default_labels(profile)
            if request is None
            else {item["key"]: item["value"] for item in request.labels},
        ),
        owner=rules.check_owner(
            profile,
            template.get("owner"),
            editor=editor,
            current=user if request is None else request.owner,
        ),
        team=rules.check_team(
            profile,
            template.get("team"),
            editor=editor,
            current=profile.team_default if request is None else request.team,
            user=user,
        ),
        contact_email=rules.check_contact_email(
            profile,
            template.get("contactEmail"),
            editor=editor,
            current=(getattr(user, "email", "") or "")
            if request is None
            else request.contact_email,
        ),
    )


def check_for_approver(
    profile: Profile, request: Request, edits: dict[str, Any], approver: Principal
) -> rules.CheckedTemplate:
    """The request as it stands plus the approver's edits, against the profile as it is now."""
    stored = request.template
    current_sans = [
        (item["type"], value) for item in stored.get("sans", []) for value in item["value"]
    ]
    return rules.CheckedTemplate(
        subject=rules.check_subject(
            profile,
            edits.get("subject"),
            editor=rules.APPROVER,
            current={item["element"]: item["value"] for item in stored.get("subject", [])},
        ),
        sans=rules.check_sans(
            profile, edits.get("sans"), editor=rules.APPROVER, current=current_sans
        ),
        labels=rules.check_labels(
            profile,
            edits.get("labels"),
            editor=rules.APPROVER,
            current={item["key"]: item["value"] for item in request.labels},
        ),
        owner=rules.check_owner(
            profile, edits.get("owner"), editor=rules.APPROVER, current=request.owner
        ),
        team=rules.check_team(
            profile,
            edits.get("team"),
            editor=rules.APPROVER,
            current=request.team,
            user=approver,
        ),
        contact_email=rules.check_contact_email(
            profile,
            edits.get("contactEmail"),
            editor=rules.APPROVER,
            current=request.contact_email,
        ),
    )


@dataclass
class Identity:
    subject: x509.Name
    dn: str
    holder_id: str


def identity_of(checked: rules.CheckedTemplate) -> Identity:
    """The subject name, its DN string and the holderId the certificate will have."""
    if not checked.subject and not checked.sans:
        raise DomainError(
            "WEBRA-ENROLL-004",
            "the certificate would name nobody: give at least a subject element or a SAN",
        )
    # RFC 5280 §4.1.2.6: an email address in the subject must also be an rfc822Name SAN.
    for element, value in checked.subject:
        if element.startswith("e.") and ("RFC822NAME", value) not in checked.sans:
            checked.sans.append(("RFC822NAME", value))
    subject = names.build_name(checked.subject)
    return Identity(subject, names.name_string(subject), holder_id(subject, checked.sans))


def fill_request(
    request: Request, checked: rules.CheckedTemplate, identity: Identity | None
) -> dict[str, Any]:
    """Copies the checked template onto the request; returns its stored subject and SANs.
    Without identity (no names known yet), the request names no DN or holder."""
    request.dn = identity.dn if identity else ""
    request.holder_id = identity.holder_id if identity else ""
    request.labels = checked.labels
    request.owner = checked.owner
    request.team = checked.team
    request.contact_email = checked.contact_email
    sans: dict[str, list[str]] = {}
    for san_type, value in checked.sans:
        sans.setdefault(san_type, []).append(value)
    return {
        "subject": [{"element": e, "value": v} for e, v in checked.subject],
        "sans": [{"type": t, "value": v} for t, v in sans.items()],
    }


def template_json(request: Request) -> dict[str, Any]:
    """The requested certificate, as the contract's *RequestTemplate shapes write it."""
    return {
        "subject": request.template.get("subject", []),
        "sans": request.template.get("sans", []),
        "labels": [{"label": item["key"], "value": item["value"]} for item in request.labels],
        "owner": {"value": request.owner.get_username() if request.owner else None},
        "team": {"value": request.team.name if request.team else None},
        "contactEmail": {"value": request.contact_email or None},
    }


def _csr_subject(csr: x509.CertificateSigningRequest, profile: Profile) -> list[dict[str, str]]:
    editable = {r.element for r in profile.subject_rules.all() if r.editable_by_requester}
    elements = names.name_to_elements(csr.subject)
    return [{"element": e, "value": v} for e, v in elements if e in editable]


def csr_sans(csr: x509.CertificateSigningRequest, profile: Profile) -> list[dict[str, Any]]:
    editable = {r.san_type for r in profile.san_rules.all() if r.editable_by_requester}
    grouped: dict[str, list[str]] = {}
    general_names: Iterable[x509.GeneralName]
    try:
        general_names = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        general_names = []
    for general in general_names:
        try:
            san_type, value = names.san_of(general)
        except ValueError:
            continue
        if san_type in editable:
            grouped.setdefault(san_type, []).append(value)
    return [{"type": t, "value": v} for t, v in grouped.items()]
