"""What an approver needs on one screen to decide a request: the decoded CSR, the profile's
rules with the result of the services' own checks, how many certificates the holder already
has, the certificate concerned and what changes, the requester, earlier requests."""

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from certificates.models import Certificate
from certificates.pki import names
from certificates.pki.csr import load_csr
from certificates.pki.describe import TechnicalDetails, describe_certificate, describe_csr
from certificates.pki.keys import key_type_of
from profiles import template_rules as rules
from profiles.access import ON_CERTIFICATE
from profiles.models import Profile, RuleFlags, Team
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.approvals import policy_rules
from requests_app.approvals.policy_rules import PolicyResult
from requests_app.models import Request
from requests_app.workflows.certificate_data import FIELDS
from requests_app.workflows.holder_limit import holder_counts
from requests_app.workflows.migrate import SOURCE


@dataclass
class RuleResult:
    what: str  # "cn.1", "DNS name", "label env"
    rule: str  # "mandatory, ^[a-z.]+$", "1 to 3"
    value: str
    problem: str = ""


@dataclass
class Change:
    what: str
    before: str
    after: str


@dataclass
class Review:
    csr: dict[str, Any] | None = None
    rules: list[RuleResult] = field(default_factory=list)
    holder_in_profile: int = 0
    holder_overall: int = 0
    changes: list[Change] = field(default_factory=list)
    previous: list[Request] = field(default_factory=list)
    requester_teams: list[Team] = field(default_factory=list)
    # A request on an existing certificate: whose it is, beside who asks (security review 4.1).
    certificate_holder: dict[str, Any] | None = None
    # Key, lifetime and CN/SAN checks of a request that produces a certificate.
    policy: list[PolicyResult] = field(default_factory=list)
    # The certificate a request acts on, as its page's technical details show it.
    certificate_details: TechnicalDetails | None = None


def review(request: Request, approver: Principal) -> Review:
    out = Review()
    csr_pem = request.template.get("csr")
    if csr_pem:
        out.csr = decoded_csr(csr_pem)
    if request.workflow == "enroll" and request.profile is not None:
        out.rules = rule_results(request, request.profile)
    if request.workflow in ("enroll", "renew") and request.profile is not None:
        out.policy = policy_results(request, request.profile)
    if request.certificate is not None and request.workflow != "enroll":
        try:
            out.certificate_details = describe_certificate(
                x509.load_pem_x509_certificate(request.certificate.pem.encode())
            )
        except ValueError:
            out.certificate_details = None
    if request.holder_id:
        out.holder_overall, out.holder_in_profile = holder_counts(
            request.holder_id, request.profile
        )
        out.previous = list(
            Request.objects.visible_to(approver)
            .filter(holder_id=request.holder_id)
            .exclude(pk=request.pk)
            .select_related("profile", "requester", "approver")
            .defer("sealed_password", "sealed_pkcs12", "sealed_key", "template")
            .order_by("-created_at")[:10]
        )
    out.changes = changes(request)
    requester = request.requester
    out.requester_teams = (
        list(requester.rap_teams.order_by("name")) if requester is not None else []
    )
    out.certificate_holder = certificate_holder(request, out.requester_teams)
    return out


def certificate_holder(request: Request, requester_teams: list[Team]) -> dict[str, Any] | None:
    """The owner and team of the certificate a request acts on, and how the requester relates
    to it: ``owner``, ``team member`` or ``neither`` (then they act through a permission the
    access policy gives on others' certificates: ``perform``, or a proof of possession)."""
    certificate = request.certificate
    if certificate is None or request.workflow not in ON_CERTIFICATE:
        return None
    if request.requester_id is not None and certificate.owner_id == request.requester_id:
        relation = "owner"
    elif certificate.team_id and certificate.team_id in {t.pk for t in requester_teams}:
        relation = "team member"
    else:
        relation = "neither"
    return {"owner": certificate.owner, "team": certificate.team, "relation": relation}


def decoded_csr(pem: str) -> dict[str, Any]:
    """Subject, SANs, key type and size, and whether the CSR's signature checks out."""
    try:
        csr = load_csr(pem)
    except ValueError as error:  # stored before a rule that now refuses it
        return {"error": str(error)}
    try:
        sans = names.sans_of(csr.extensions)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
        sans = []
    public_key = csr.public_key()
    return {
        "details": describe_csr(csr),
        "subject": names.name_string(csr.subject) or "(empty)",
        "sans": [(names.SAN_LABELS.get(t, t), v) for t, v in sans],
        "key_type": key_type_of(public_key),
        "key_size": getattr(public_key, "key_size", None),
        "signature_ok": csr.is_signature_valid,
        "signature_algorithm": getattr(csr.signature_algorithm_oid, "_name", "")
        or csr.signature_algorithm_oid.dotted_string,
    }


def policy_results(request: Request, profile: Profile) -> list[PolicyResult]:
    """Key against the authorized types, the lifetime it will get, and — on enrollments —
    a host name in the CN that no DNS name repeats."""
    template = request.template
    csr = None
    if template.get("csr"):
        try:
            csr = load_csr(template["csr"])
        except ValueError:
            csr = None  # the decoded CSR says why
    if csr is not None:
        key_type = key_type_of(csr.public_key())
    else:
        key_type = template.get("keyType") or (
            request.certificate.key_type
            if request.certificate is not None
            and request.certificate.key_type in profile.authorized_key_types
            else profile.default_key_type
        )
    out = [policy_rules.key_rule(key_type, profile), policy_rules.validity_rule(profile)]
    if request.workflow == "enroll":
        subject, sans = policy_rules.requested_names(template, csr)
        out += policy_rules.cn_rules(subject, sans, profile)
    return out


def rule_results(request: Request, profile: Profile) -> list[RuleResult]:
    """Each subject, SAN and label rule of ``profile`` (the request's) as it is now, with what
    the request holds and what the services' checks say of it (the same checks approval
    runs)."""
    stored = request.template
    subject = {item["element"]: item["value"] for item in stored.get("subject", [])}
    sans: dict[str, list[str]] = {}
    for item in stored.get("sans", []):
        sans.setdefault(item["type"], []).extend(item["value"])
    labels = {item["key"]: item["value"] for item in request.labels}
    problems: dict[str, str] = {}
    checks = (
        lambda: rules.check_subject(profile, None, editor=rules.APPROVER, current=subject),
        lambda: rules.check_sans(
            profile,
            None,
            editor=rules.APPROVER,
            current=[(t, v) for t, values in sans.items() for v in values],
        ),
        lambda: rules.check_labels(profile, None, editor=rules.APPROVER, current=labels),
    )
    for check in checks:
        try:
            check()
        except DomainError as error:
            problems |= error.fields or {"": error.detail}
    results = []
    for rule in profile.subject_rules.all():
        results.append(
            RuleResult(
                element_label(rule.element),
                _describe(rule, rule.mandatory),
                subject.get(rule.element, ""),
                problems.get(rule.element, ""),
            )
        )
    for san_rule in profile.san_rules.all():
        results.append(
            RuleResult(
                names.SAN_LABELS.get(san_rule.san_type, san_rule.san_type),
                _describe(san_rule, False, f"{san_rule.min} to {san_rule.max}"),
                ", ".join(sans.get(san_rule.san_type, [])),
                problems.get(f"san:{san_rule.san_type}", ""),
            )
        )
    for label_rule in profile.label_rules.all():
        extra = "one of " + ", ".join(label_rule.enum) if label_rule.enum else ""
        results.append(
            RuleResult(
                f"label {label_rule.label}",
                _describe(label_rule, label_rule.mandatory, extra),
                labels.get(label_rule.label, ""),
                problems.get(f"label:{label_rule.label}", ""),
            )
        )
    if "" in problems:
        results.append(RuleResult("request", "", "", problems[""]))
    return results


def element_label(element: str) -> str:
    """``cn.1`` → ``Common name (cn.1)``: words first, the profile's key for reference."""
    try:
        dn_type, _ = names.parse_element(element)
    except ValueError:
        return element
    return f"{dn_type.label} ({element})"


def _describe(rule: RuleFlags, mandatory: bool, extra: str = "") -> str:
    parts = ["mandatory" if mandatory else "optional"]
    if extra:
        parts.append(extra)
    if rule.regex:
        parts.append(f"matches {rule.regex}")
    if not rule.editable_by_requester:
        parts.append("set by the profile")
    return ", ".join(parts)


DATA_LABELS = {"labels": "Labels", "owner": "Owner", "team": "Team", "contact_email": "Contact"}


def changes(request: Request) -> list[Change]:
    """Before/after for the requests that act on a certificate."""
    certificate = request.certificate
    if certificate is None or request.workflow in ("enroll", "import", "renew"):
        return []
    out = []
    if request.workflow == "revoke":
        reason = request.template.get("revocationReason") or "unspecified"
        out.append(Change("Status", "valid", f"revoked ({reason})"))
    elif request.workflow == "recover":
        out.append(Change("Key", "kept by the portal", "handed to the requester as PKCS#12"))
    if request.workflow == "migrate":
        out.append(Change("Profile", request.template.get(SOURCE) or "—", str(request.profile)))
    if request.workflow in ("update", "migrate"):
        changed = set(request.template.get("fields") or [])
        for name in FIELDS.values():
            if name in changed:
                out.append(
                    Change(
                        DATA_LABELS[name],
                        _data_value(certificate, name),
                        _data_value(request, name),
                    )
                )
    return out


def _data_value(obj: Certificate | Request, name: str) -> str:
    value = getattr(obj, name)
    if name == "labels":
        return ", ".join(f"{item['key']}={item['value']}" for item in value) or "—"
    if name == "owner":
        return value.get_username() if value else "—"
    return str(value) if value else "—"
