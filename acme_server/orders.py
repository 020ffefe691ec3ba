"""ACME orders (RFC 8555 §7.4): creation with one authorization per name, challenge
responses, finalization into a portal request, and the order mirroring that request.

A finalized order *is* a portal request (requests_app, module ``acme``): filed by the
account's principal (acme_server/principal.py), it meets the profile's rules, holder limits
and grants like any enrollment — issued at once for a ``perform`` holder, ``processing``
until an approver decides for a ``request`` holder. ``refresh_order`` reads the request's
outcome back whenever the client looks.
"""

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from josepy.errors import Error as JoseError
from josepy.jwk import JWK

from acme_server.jws import b64url_decode, thumbprint
from acme_server.models import (
    AcmeAccount,
    AcmeAuthorization,
    AcmeChallenge,
    AcmeOrder,
    AuthorizationStatus,
    ChallengeStatus,
    OrderStatus,
)
from acme_server.principal import account_actor
from acme_server.problems import AcmeProblem, error_document
from acme_server.validation_jobs import schedule_validation
from certificates.pki.csr import csr_pem, load_csr
from profiles import template_rules as rules
from profiles.models import Profile
from raportal.callers import Principal
from raportal.errors import DomainError
from raportal.models import record
from requests_app.models import Status
from requests_app.services import request_submit
from requests_app.workflows import handler_for

WILDCARD_CHALLENGES = {"dns-01"}  # §7.1.3: a wildcard is proven in the DNS only
CLOSED_REQUEST = {
    Status.DENIED: "an approver denied the request",
    Status.CANCELED: "the request was canceled",
    Status.EXPIRED: "the request expired before an approver decided",
    Status.FAILED: "the certificate could not be issued",
}


# --- new order ---------------------------------------------------------------------------


def _names_of(profile: Profile, identifiers: Any) -> list[str]:
    """The ordered DNS names, normalized; AcmeProblem for what this server cannot order."""
    if not isinstance(identifiers, list) or not identifiers:
        raise AcmeProblem("malformed", "identifiers must be a non-empty list")
    if len(identifiers) > profile.acme_max_dns_names:
        raise AcmeProblem(
            "rejectedIdentifier",
            f"an order may name at most {profile.acme_max_dns_names} identifiers here",
        )
    out: list[str] = []
    for item in identifiers:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise AcmeProblem("malformed", "each identifier is {type, value}")
        if item.get("type") != "dns":
            raise AcmeProblem(
                "unsupportedIdentifier", f"identifier type {item.get('type')!r} is not supported"
            )
        value = item["value"].strip().lower().rstrip(".")
        if not value.isascii():
            # §7.1.4: internationalized names are ordered as A-labels (xn--…).
            raise AcmeProblem("rejectedIdentifier", f"{value!r}: use the A-label (xn--) form")
        if value not in out:
            out.append(value)
    return out


def check_names_allowed(profile: Profile, dns_names: list[str]) -> None:
    """The profile's SAN rules on these names (regex, wildcards, IDN): the order's names must
    be what a certificate of this profile may carry (rejectedIdentifier, §7.4)."""
    try:
        rules.check_sans(
            profile, [{"type": "DNSNAME", "value": dns_names}], editor=rules.REQUESTER, current=[]
        )
    except DomainError as exc:
        raise AcmeProblem("rejectedIdentifier", exc.detail) from None
    if any(name.startswith("*.") for name in dns_names) and not (
        WILDCARD_CHALLENGES & set(profile.acme_challenge_types)
    ):
        raise AcmeProblem("rejectedIdentifier", "wildcards need dns-01, not offered here")


def check_rate_limits(account: AcmeAccount, dns_names: list[str]) -> None:
    """Orders per account per hour, and certificates per registered name per week."""
    now = timezone.now()
    per_hour = settings.RAPORTAL_ACME_ORDERS_PER_HOUR
    recent = account.orders.filter(created_at__gte=now - dt.timedelta(hours=1)).count()
    if per_hour and recent >= per_hour:
        raise AcmeProblem(
            "rateLimited",
            f"at most {per_hour} new orders per account per hour",
            headers={"Retry-After": "3600"},
        )
    per_week = settings.RAPORTAL_ACME_CERTIFICATES_PER_NAME_PER_WEEK
    if not per_week:
        return
    for registered in {registered_name(name) for name in dns_names}:
        issued = (
            AcmeAuthorization.objects.filter(
                order__account__profile=account.profile,
                order__status=OrderStatus.VALID,
                order__created_at__gte=now - dt.timedelta(days=7),
                identifier_value__endswith=registered,
            )
            .values("order")
            .distinct()
            .count()
        )
        if issued >= per_week:
            raise AcmeProblem(
                "rateLimited",
                f"at most {per_week} certificates per week for names under {registered}",
                headers={"Retry-After": "86400"},
            )


def registered_name(name: str) -> str:
    """The name's last two labels: its registered domain for most suffixes (a public-suffix
    list would be exact; this errs towards counting more names together)."""
    return ".".join(name.removeprefix("*.").split(".")[-2:])


def new_order(account: AcmeAccount, payload: dict[str, Any]) -> AcmeOrder:
    profile = account.profile
    if payload.get("notBefore") is not None or payload.get("notAfter") is not None:
        raise AcmeProblem("malformed", "notBefore and notAfter are not supported: omit them")
    dns_names = _names_of(profile, payload.get("identifiers"))
    check_names_allowed(profile, dns_names)
    check_rate_limits(account, dns_names)
    expires = timezone.now() + profile.acme_order_lifetime
    offered = [kind for kind in profile.acme_challenge_types if kind in ("http-01", "dns-01")]
    with transaction.atomic():
        order = AcmeOrder.objects.create(
            account=account,
            identifiers=[{"type": "dns", "value": name} for name in dns_names],
            expires_at=expires,
        )
        for name in dns_names:
            wildcard = name.startswith("*.")
            authorization = AcmeAuthorization.objects.create(
                order=order,
                identifier_value=name.removeprefix("*."),
                wildcard=wildcard,
                expires_at=expires,
            )
            kinds = [k for k in offered if k in WILDCARD_CHALLENGES] if wildcard else offered
            AcmeChallenge.objects.bulk_create(
                AcmeChallenge(authorization=authorization, type=kind) for kind in kinds
            )
    return order


# --- reading, with expiry and the request's outcome --------------------------------------


def refresh_authorization(authorization: AcmeAuthorization) -> AcmeAuthorization:
    if (
        authorization.status in (AuthorizationStatus.PENDING, AuthorizationStatus.VALID)
        and authorization.expires_at <= timezone.now()
    ):
        authorization.status = AuthorizationStatus.EXPIRED
        AcmeAuthorization.objects.filter(pk=authorization.pk).update(
            status=AuthorizationStatus.EXPIRED
        )
    return authorization


def refresh_order(order: AcmeOrder) -> AcmeOrder:
    """The order's status now: expired orders become invalid (§7.1.6); a processing one
    takes its request's outcome."""
    now = timezone.now()
    if order.status in (OrderStatus.PENDING, OrderStatus.READY) and order.expires_at <= now:
        _set(order, status=OrderStatus.INVALID, error=error_document("malformed", "expired"))
    elif order.status == OrderStatus.PROCESSING and order.request_id is not None:
        request = order.request
        assert request is not None
        if request.status == Status.COMPLETED and request.certificate_id is not None:
            _set(order, status=OrderStatus.VALID, certificate_id=request.certificate_id)
        elif request.status in CLOSED_REQUEST:
            detail = CLOSED_REQUEST[Status(request.status)]
            _set(
                order,
                status=OrderStatus.INVALID,
                error=error_document("unauthorized", detail),
            )
    return order


def _set(order: AcmeOrder, **values: Any) -> None:
    """Moves an order on, unless another request moved it first."""
    updated = AcmeOrder.objects.filter(pk=order.pk, status=order.status).update(**values)
    if updated:
        for name, value in values.items():
            setattr(order, name, value)
    else:
        order.refresh_from_db()


def orders_of(account: AcmeAccount) -> QuerySet[AcmeOrder]:
    return account.orders.order_by("-created_at")


# --- challenges --------------------------------------------------------------------------


def respond_to_challenge(challenge: AcmeChallenge) -> AcmeChallenge:
    """The client says it is ready (§7.5.1): the validation is queued, to run in the
    background worker once this commits; answering again changes nothing."""
    with transaction.atomic():
        locked = AcmeChallenge.objects.select_for_update().get(pk=challenge.pk)
        authorization = refresh_authorization(locked.authorization)
        if locked.status != ChallengeStatus.PENDING:
            return locked
        if authorization.status != AuthorizationStatus.PENDING:
            raise AcmeProblem("malformed", f"this authorization is {authorization.status}")
        locked.status = ChallengeStatus.PROCESSING
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "next_attempt_at"])
        account = AcmeAccount.objects.select_related("user", "profile").get(
            orders__authorizations__challenges=locked
        )
        record(
            account_actor(account),
            "acme.challenge.respond",
            locked,
            type=locked.type,
            identifier=authorization.identifier_value,
        )
        challenge_id = locked.pk
        transaction.on_commit(lambda: schedule_validation(challenge_id))
    return locked


def deactivate_authorization(authorization: AcmeAuthorization) -> AcmeAuthorization:
    """§7.5.2: the client gives up an authorization; its order can no longer be valid."""
    with transaction.atomic():
        locked = AcmeAuthorization.objects.select_for_update().get(pk=authorization.pk)
        if locked.status not in (AuthorizationStatus.PENDING, AuthorizationStatus.VALID):
            raise AcmeProblem("malformed", f"this authorization is {locked.status}")
        locked.status = AuthorizationStatus.DEACTIVATED
        locked.save(update_fields=["status"])
        AcmeOrder.objects.filter(
            pk=locked.order_id, status__in=[OrderStatus.PENDING, OrderStatus.READY]
        ).update(
            status=OrderStatus.INVALID,
            error=error_document("unauthorized", "an authorization was deactivated"),
        )
        account = AcmeAccount.objects.select_related("user", "profile").get(orders=locked.order_id)
        record(
            account_actor(account),
            "acme.authorization.deactivate",
            locked,
            identifier=locked.identifier_value,
        )
    return locked


# --- finalize ----------------------------------------------------------------------------


def csr_names(csr: x509.CertificateSigningRequest) -> set[str]:
    """Every name the CSR asks for: its DNS SANs and its subject's common names."""
    found: set[str] = set()
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = x509.SubjectAlternativeName([])
    if any(not isinstance(general, x509.DNSName) for general in sans):
        raise AcmeProblem("badCSR", "the CSR may name DNS names only")
    found.update(str(value).lower().rstrip(".") for value in sans.get_values_for_type(x509.DNSName))
    for attribute in csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        found.add(str(attribute.value).lower().rstrip("."))
    return found


def _read_csr(payload: dict[str, Any] | None) -> x509.CertificateSigningRequest:
    text = (payload or {}).get("csr")
    if not isinstance(text, str):
        raise AcmeProblem("malformed", "finalize needs csr, the base64url DER of a PKCS#10")
    try:
        der = b64url_decode(text)
        return load_csr(csr_pem(x509.load_der_x509_csr(der)))
    except ValueError as exc:
        raise AcmeProblem("badCSR", f"the CSR cannot be read: {exc}") from None


def _subject_for(profile: Profile, csr: x509.CertificateSigningRequest, dns_names: list[str]):
    """The subject asked for: a common name (the CSR's, or the order's first name) where the
    profile has a rule for one; a wildcard common name stays as ordered."""
    elements = {rule.element for rule in profile.subject_rules.all()}
    if "cn.1" not in elements:
        return []
    common = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = str(common[0].value).lower().rstrip(".") if common else dns_names[0]
    return [{"element": "cn.1", "value": value}]


def finalize_order(
    order: AcmeOrder, payload: dict[str, Any] | None, principal: Principal
) -> AcmeOrder:
    """§7.4: the CSR must ask for exactly the order's names, with a key the profile takes
    and that is not the account's; then the portal request is filed (and, for a ``perform``
    holder, executed) in the same transaction as the order's move."""
    csr = _read_csr(payload)
    profile = order.account.profile
    dns_names = order.names()
    asked = csr_names(csr)
    if asked != set(dns_names):
        missing = sorted(set(dns_names) - asked)
        extra = sorted(asked - set(dns_names))
        raise AcmeProblem(
            "badCSR",
            "the CSR must name exactly the order's identifiers"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not in the order: {', '.join(extra)}" if extra else ""),
        )
    if _same_key(csr, order.account):
        raise AcmeProblem("badCSR", "the certificate key must not be the account key (§11.1)")
    with transaction.atomic():
        locked = (
            AcmeOrder.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=order.pk)
        )
        refresh_order(locked)
        if locked.status != OrderStatus.READY:
            raise AcmeProblem(
                "orderNotReady",
                f"the order is {locked.status}: every authorization must be valid first",
            )
        data = {
            "module": "acme",
            "workflow": "enroll",
            "profile": profile.name,
            "template": {
                "csr": csr_pem(csr),
                "subject": _subject_for(profile, csr, dns_names),
                "sans": [{"type": "DNSNAME", "value": dns_names}],
            },
        }
        try:
            outcome = request_submit(principal, handler_for("acme", "enroll"), data)
        except DomainError as exc:
            kind = "unauthorized" if exc.code.startswith("SEC-") else "badCSR"
            raise AcmeProblem(kind, exc.detail) from None
        request = outcome.request
        locked.request = request
        if request.status == Status.COMPLETED:
            locked.status = OrderStatus.VALID
            locked.certificate_id = request.certificate_id
        else:
            locked.status = OrderStatus.PROCESSING
        locked.save(update_fields=["request", "status", "certificate"])
    return locked


def _same_key(csr: x509.CertificateSigningRequest, account: AcmeAccount) -> bool:
    pem = csr.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    try:
        csr_key = JWK.load(pem)
    except (ValueError, TypeError, JoseError):
        return False  # a key type JWK does not know (Ed25519) is not an account key
    return thumbprint(csr_key) == account.thumbprint
