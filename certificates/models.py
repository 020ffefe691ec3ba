"""Certificate authorities, certificates and escrowed keys."""

import datetime as dt
import re
import uuid
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from certificates import extensions
from certificates.pki.keys import KEY_TYPE_CHOICES
from certificates.renewal import RENEWED
from profiles import grants_cache
from profiles.access import certificate_visibility
from profiles.revision import RevisedQuerySet
from raportal.callers import Principal, is_administrator
from raportal.json_search import JsonItemsContain


class CertificateAuthorityQuerySet(RevisedQuerySet):
    def issuers(self):
        """CAs that hold their private key: those that can sign (and publish a CRL)."""
        return self.filter(sealed_key__isnull=False)

    def trust_entries(self):
        return self.filter(sealed_key__isnull=True)


class CertificateAuthority(models.Model):
    """A CA of the built-in PKI, its private key sealed under RAPORTAL_KEK; or, without a key,
    a trust entry: a CA certificate known for chains, which never signs anything here."""

    name = models.SlugField(max_length=64, unique=True, help_text="Identifier used in URLs.")
    certificate_pem = models.TextField()
    # Null for a trust entry (keyless). Never empty otherwise: the manager's ``issuers()``
    # and the profiles' choice of CA rely on it.
    sealed_key = models.BinaryField(null=True, blank=True, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    key_type = models.CharField(max_length=32, choices=KEY_TYPE_CHOICES)
    crl_validity_hours = models.PositiveIntegerField(
        default=168,
        validators=[MinValueValidator(1)],
        help_text="How long a published CRL stays valid (nextUpdate).",
    )
    certificate_lifetime = models.DurationField(
        null=True,
        blank=True,
        help_text="How long the certificates it signs are valid; empty: the profile decides.",
    )
    backdate = models.DurationField(
        default=dt.timedelta(0),
        help_text="How far before the moment of signing certificates start (clock skew).",
    )
    # The current CRL, regenerated on revocation and before it goes stale.
    crl_number = models.PositiveBigIntegerField(default=0, editable=False)
    crl_der = models.BinaryField(null=True, blank=True, editable=False)
    crl_next_update = models.DateTimeField(null=True, blank=True, editable=False)
    crl_stale = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateAuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = "certificate authority"
        verbose_name_plural = "certificate authorities"

    def __str__(self) -> str:
        return self.name

    @property
    def certificate(self) -> x509.Certificate:
        cached = self.__dict__.get("_certificate")
        if cached is None:
            cached = x509.load_pem_x509_certificate(self.certificate_pem.encode())
            self.__dict__["_certificate"] = cached
        return cached

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(Encoding.DER)

    @property
    def has_key(self) -> bool:
        """Whether it can sign: a keyless CA is a trust entry, for chains only."""
        return bool(self.sealed_key)

    def crl_url(self) -> str:
        return settings.RAPORTAL_PKI_BASE_URL + reverse("ca-crl", args=[self.name])

    def certificate_url(self) -> str:
        return settings.RAPORTAL_PKI_BASE_URL + reverse("ca-certificate", args=[self.name])

    def ocsp_url(self) -> str:
        return settings.RAPORTAL_PKI_BASE_URL + reverse("ocsp", args=[self.name])

    def chain(self) -> list["CertificateAuthority"]:
        """This CA, then its parents up to the root."""
        chain: list[CertificateAuthority] = []
        ca: CertificateAuthority | None = self
        while ca is not None and ca not in chain:  # a loop of cross-signed CAs ends here
            chain.append(ca)
            ca = ca.parent
        return chain


class OutdatedRevocationStatusPolicy(models.TextChoices):
    """What a certificate of this CA counts as when the CA's revocation status is stale
    (Horizon's ``outdatedRevocationStatusPolicy``)."""

    REVOKED = "revoked", "Revoked"
    UNKNOWN = "unknown", "Unknown"
    LAST_AVAILABLE = "lastavailablestatus", "Last available status"


class CaEntryQuerySet(models.QuerySet):
    def public(self):
        return self.filter(public=True)

    def trusted_for_client_authentication(self):
        return self.filter(trusted_for_client_authentication=True)


class CaEntry(models.Model):
    """A CA in Horizon's list of Certificate Authorities (``/api/v1/cas``): a name, the CA
    certificate (the ``CertificateAuthority`` row that holds it) and how far it is trusted.

    Horizon keeps these apart from PKI connectors: a connector issues, a CA entry is trusted.
    Both may carry the same certificate, under names of their own; here both point at the one
    ``CertificateAuthority`` row of that certificate (a connector's has the key)."""

    name = models.SlugField(max_length=64, unique=True)
    authority = models.ForeignKey(
        CertificateAuthority, on_delete=models.PROTECT, related_name="entries"
    )
    # Whose certificates may authenticate here: X.509 client authentication and proof of
    # possession (X-JWT-CERT-POP) accept only certificates of such CAs.
    trusted_for_client_authentication = models.BooleanField(default=False)
    # For TLS connections the portal makes as a client (stored: the portal makes none yet).
    trusted_for_server_authentication = models.BooleanField(default=False)
    outdated_revocation_status_policy = models.CharField(
        max_length=24,
        choices=OutdatedRevocationStatusPolicy.choices,
        default=OutdatedRevocationStatusPolicy.UNKNOWN,
    )
    public = models.BooleanField(
        default=False, help_text="Listed for everyone (home page, /api/v1/cas); else for staff."
    )
    downloadable = models.BooleanField(
        default=False, help_text="Its certificate may be downloaded from the portal's pages."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "CA entry"
        verbose_name_plural = "CA entries"
        ordering = ["created_at", "pk"]
        # A certificate is in the list once (two concurrent additions: one wins).
        constraints = [
            models.UniqueConstraint(fields=["authority"], name="uniq_ca_entry_authority")
        ]

    def __str__(self) -> str:
        return self.name


class RevocationReason(models.TextChoices):
    # Horizon's names; RFC 5280 §5.3.1 reason codes.
    UNSPECIFIED = "unspecified", "Unspecified"
    KEY_COMPROMISE = "keycompromise", "Key compromise"
    CA_COMPROMISE = "cacompromise", "CA compromise"
    AFFILIATION_CHANGED = "affiliationchange", "Affiliation changed"
    SUPERSEDED = "superseded", "Superseded"
    CESSATION_OF_OPERATION = "cessationofoperation", "Cessation of operation"


def _day_start(day: dt.date) -> dt.datetime:
    """The day's first instant in the portal's time zone (TIME_ZONE), as TruncDate counts."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _days(field: str, first: dt.date | None, last: dt.date | None) -> Q:
    """``field`` on a day from ``first`` to ``last`` included (None: no bound)."""
    condition = Q()
    if first is not None:
        condition &= Q(**{f"{field}__gte": _day_start(first)})
    if last is not None:
        condition &= Q(**{f"{field}__lt": _day_start(last + dt.timedelta(days=1))})
    return condition


class CertificateQuerySet(models.QuerySet):
    def valid(self, at: dt.datetime | None = None) -> Self:
        """Not revoked and within their validity period."""
        at = at or timezone.now()
        return self.filter(revocation_date__isnull=True, not_before__lte=at, not_after__gt=at)

    def with_holder(self, holder_id: str) -> Self:
        return self.filter(holder_id=holder_id)

    def visible_to(self, user: Principal) -> Self:
        """Certificates a user may see: those they own, their teams', and those of profiles on
        which they hold any grant; every one for an administrator — and those an app above
        adds (certificates/extensions.py: a discovery campaign's certificates for who may
        search it). Subqueries, not joins: no duplicates, lockable."""
        if is_administrator(user):
            return self.all()
        condition = certificate_visibility(user)  # profiles/access.py decides
        if (more := extensions.extra_visibility(user)) is not None:
            condition |= more
        return self.filter(condition)

    def not_renewed(self) -> Self:
        """Certificates no renewal replaced (certificates/renewal.py: the renewed one names
        its successor in its metadata)."""
        return self.alias(renewed=JsonItemsContain("metadata", RENEWED, ("key",))).filter(
            renewed=False
        )

    def expiring(self, within: dt.timedelta, at: dt.datetime | None = None) -> Self:
        """Valid certificates, not renewed, whose notAfter falls within ``within`` of ``at``
        (now): those someone still has to renew or let go."""
        at = at or timezone.now()
        return self.valid(at).not_renewed().filter(not_after__lte=at + within)

    def issued_between(self, first: dt.date | None, last: dt.date | None) -> Self:
        """Certificates whose notBefore (the date they were issued, as they state it) falls on
        a day from ``first`` to ``last`` included (days of the portal's time zone; None: no
        bound; a range, so an index can serve)."""
        return self.filter(_days("not_before", first, last))

    def expiring_between(self, first: dt.date | None, last: dt.date | None) -> Self:
        """Unrevoked certificates whose notAfter falls on a day from ``first`` to ``last``
        included: what expires in that window unless renewed or revoked first."""
        return self.filter(_days("not_after", first, last), revocation_date__isnull=True)

    def owned_by(self, user):
        """Certificates the user owns or shares with one of their teams (not those they see
        through a grant: see ``visible_to``)."""
        # Known first (the grants cache: no query unless the configuration changed), so that
        # the owner and team indexes serve the OR (no scan).
        teams = sorted(grants_cache.held_by(user).team_ids)
        return self.filter(Q(owner=user) | Q(team__in=teams))

    def search(self, text: str):
        """Certificates whose DN, serial (with or without colons, any case), SAN value or
        label (its value, or ``key=value`` as the pages show it) contains ``text``."""
        text = text.strip()
        if not text:
            return self
        found = (
            Q(dn__icontains=text)
            | JsonItemsContain("sans", text, ("value",))
            | JsonItemsContain("labels", text, ("key", "value"))
        )
        serial = re.sub(r"[\s:]", "", text).lower().removeprefix("0x")
        if re.fullmatch(r"[0-9a-f]+", serial):
            found |= Q(serial__contains=serial)
        return self.filter(found)


class Certificate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ca = models.ForeignKey(
        CertificateAuthority,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        help_text="The built-in CA that issued it, if any.",
    )
    profile = models.ForeignKey(
        "profiles.Profile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    module = models.CharField(max_length=16, default="webra")
    pem = models.TextField()
    serial = models.CharField(max_length=64, help_text="Hexadecimal, lower case.")
    thumbprint = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the DER.")
    public_key_thumbprint = models.CharField(max_length=64, db_index=True)
    dn = models.TextField()
    issuer = models.TextField()
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    key_type = models.CharField(max_length=32)
    signing_algorithm = models.CharField(max_length=64)
    sans = models.JSONField(default=list, blank=True)  # [{"sanType": ..., "value": ...}]
    self_signed = models.BooleanField(default=False)
    holder_id = models.CharField(max_length=64)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_certificates",
    )
    team = models.ForeignKey(
        "profiles.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    contact_email = models.EmailField(blank=True)
    labels = models.JSONField(default=list, blank=True)  # [{"key": ..., "value": ...}]
    metadata = models.JSONField(default=list, blank=True)  # [{"key": ..., "value": ...}]
    revocation_date = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(
        max_length=32, choices=RevocationReason.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["holder_id", "profile"], name="cert_holder_profile"),
            models.Index(fields=["not_after"], name="cert_not_after"),
        ]
        constraints = [
            # RFC 5280 §4.1.2.2: issuer and serial number identify a certificate.
            models.UniqueConstraint(fields=["serial", "issuer"], name="uniq_cert_issuer_serial")
        ]

    def __str__(self) -> str:
        return f"{self.dn} ({self.serial[:16]})"

    @property
    def revoked(self) -> bool:
        return self.revocation_date is not None

    @property
    def escrowed(self) -> bool:
        return hasattr(self, "escrowed_key")


class EscrowedKey(models.Model):
    """A server-generated private key kept (sealed) so it can be recovered later."""

    certificate = models.OneToOneField(
        Certificate, on_delete=models.CASCADE, related_name="escrowed_key"
    )
    sealed_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"escrowed key of {self.certificate_id}"


class ScepRaCertificate(models.Model):
    """The RA certificate SCEP devices encrypt their requests to and whose key signs the
    answers (RFC 8894 §2.2): RSA (SCEP envelopes with RSA key transport), issued by the CA it
    speaks for, its key sealed under RAPORTAL_KEK like the CA keys. The newest one is used;
    renewing adds one (certificates/scep_ra.py)."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.CASCADE, related_name="scep_ras")
    certificate_pem = models.TextField()
    sealed_key = models.BinaryField(editable=False)
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"SCEP RA of {self.ca.name} (until {self.not_after:%Y-%m-%d})"

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())


class OcspResponder(models.Model):
    """The delegated OCSP responder of a CA (RFC 6960 §4.2.2.2): a short-lived certificate the
    CA issues with id-kp-OCSPSigning and id-pkix-ocsp-nocheck, its key sealed under
    RAPORTAL_KEK. Not a portal certificate (no profile, no holder, never searched): a row of
    its own. The newest one issued under the CA's current certificate answers; it is renewed
    past two thirds of its life (certificates/ocsp_responders.py)."""

    ca = models.ForeignKey(
        CertificateAuthority, on_delete=models.CASCADE, related_name="ocsp_responders"
    )
    # SHA-256 of the CA certificate it was issued under: a CA whose certificate an
    # administrator replaced gets a new responder at once.
    issuer_thumbprint = models.CharField(max_length=64)
    serial = models.CharField(max_length=64, help_text="Hexadecimal, lower case.")
    certificate_pem = models.TextField()
    sealed_key = models.BinaryField(editable=False)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "OCSP responder"
        ordering = ["-not_after", "-pk"]
        indexes = [models.Index(fields=["ca", "-not_after"], name="ocsp_responder_ca_not_after")]

    def __str__(self) -> str:
        return f"OCSP responder of {self.ca.name} (until {self.not_after:%Y-%m-%d %H:%M})"

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem.encode())


class NoticeState(models.TextChoices):
    CLAIMED = "claimed", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (retried at the next run)"
    SKIPPED = "skipped", "Skipped (a more urgent notice was due)"


class ExpiryNotice(models.Model):
    """The expiry notice of one certificate at one threshold (certificates/expiry_notices.py).

    The row is the claim: a run inserts it (unique per certificate and threshold) and commits
    before mailing, so two runs — one after a restart, or two workers at once — never send the
    same notice twice; the loser of the insert skips it. A failed mail leaves the row
    ``failed``, retried by the next run, which mails only the addresses not yet
    ``delivered_to``."""

    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="expiry_notices"
    )
    threshold_days = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=8, choices=NoticeState.choices)
    claimed_by = models.CharField(max_length=32, blank=True, help_text="The run that holds it.")
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Addresses mailed so far (a retry mails the others only); never a secret.
    delivered_to = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "threshold_days"], name="uniq_expiry_notice"
            )
        ]
        indexes = [
            # What a run retries: failed notices and claims left by a worker that died.
            models.Index(
                fields=["state"],
                condition=Q(state__in=["claimed", "failed"]),
                name="expiry_notice_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.threshold_days}-day notice of {self.certificate_id} ({self.state})"
