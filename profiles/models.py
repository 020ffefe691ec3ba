"""What administrators configure: profiles (template rules, crypto policy, request policy),
teams, and grants (who may request or perform which workflow on which profile)."""

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from certificates.pki import names
from certificates.pki.keys import KEY_TYPE_CHOICES, KEY_TYPES
from certificates.pki.pkcs12 import random_password
from certificates.pki.signing import EKU_CHOICES
from profiles.revision import RevisedQuerySet


class Module(models.TextChoices):
    WEBRA = "webra", "WebRA"
    EST = "est", "EST"
    SCEP = "scep", "SCEP"
    ACME = "acme", "ACME"


class Workflow(models.TextChoices):
    ENROLL = "enroll", "Enroll"
    REVOKE = "revoke", "Revoke"
    UPDATE = "update", "Update"
    RENEW = "renew", "Renew"
    RECOVER = "recover", "Recover"
    MIGRATE = "migrate", "Migrate"
    IMPORT = "import", "Import"


class Team(models.Model):
    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    description = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rap_teams", blank=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="rap_managed_teams", blank=True
    )

    objects = RevisedQuerySet.as_manager()

    def __str__(self) -> str:
        return self.display_name or self.name


class Label(models.Model):
    """A label of the catalogue that profiles' label rules refer to (Horizon's Label)."""

    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"not a valid regular expression: {exc}") from exc


class PasswordPolicy(models.Model):
    """A named password policy (Horizon's shape), for PKCS#12 and challenge passwords."""

    DEFAULT_NAME = "Horizon-Default"

    name = models.CharField(max_length=64, unique=True)
    min_length = models.PositiveSmallIntegerField(default=12, validators=[MinValueValidator(1)])
    max_length = models.PositiveSmallIntegerField(default=128)
    min_upper = models.PositiveSmallIntegerField(default=1)
    min_lower = models.PositiveSmallIntegerField(default=1)
    min_digits = models.PositiveSmallIntegerField(default=1)
    min_special = models.PositiveSmallIntegerField(default=0)
    special_chars = models.CharField(max_length=64, default="!#$%&*+-=?@_~")

    objects = RevisedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "password policies"

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> "PasswordPolicy":
        return cls.objects.get_or_create(name=cls.DEFAULT_NAME)[0]

    def clean(self):
        required = self.min_upper + self.min_lower + self.min_digits + self.min_special
        if self.max_length < max(self.min_length, required):
            raise ValidationError({"max_length": "shorter than what the other rules require"})
        if self.min_special and not self.special_chars:
            raise ValidationError({"special_chars": "list the special characters to use"})

    def violations(self, password: str) -> list[str]:
        """What a password lacks, in words (never the password itself)."""
        problems = []
        if len(password) < self.min_length:
            problems.append(f"at least {self.min_length} characters")
        if len(password) > self.max_length:
            problems.append(f"at most {self.max_length} characters")
        counts = [
            (self.min_upper, sum(ch.isupper() for ch in password), "upper-case letter"),
            (self.min_lower, sum(ch.islower() for ch in password), "lower-case letter"),
            (self.min_digits, sum(ch.isdigit() for ch in password), "digit"),
            (
                self.min_special,
                sum(ch in self.special_chars for ch in password),
                "special character",
            ),
        ]
        for minimum, found, what in counts:
            if found < minimum:
                problems.append(f"at least {minimum} {what}{'s' if minimum > 1 else ''}")
                if what == "special character":
                    problems[-1] += f" among {self.special_chars}"
        return problems

    def generate(self) -> str:
        """A random password satisfying the policy (20 characters when the policy allows)."""
        length = min(max(self.min_length, 20), self.max_length)
        return random_password(
            length,
            upper=self.min_upper,
            lower=self.min_lower,
            digits=self.min_digits,
            special=self.min_special,
            special_chars=self.special_chars,
        )

    def as_json(self) -> dict:
        """Horizon's PasswordPolicy shape."""
        return {
            "name": self.name,
            "minChar": self.min_length,
            "maxChar": self.max_length,
            "minUpChar": self.min_upper,
            "minLoChar": self.min_lower,
            "minDiChar": self.min_digits,
            "spChar": self.special_chars,
            "minSpChar": self.min_special,
        }


class PasswordMode(models.TextChoices):
    MANUAL = "manual", "Manual: the requester chooses the PKCS#12 password"
    RANDOM = "random", "Random: the portal generates it and shows it once"


class P12Encryption(models.TextChoices):
    """How a PKCS#12 the portal builds is encrypted (Horizon's ``p12storeEncryptionType``)."""

    AES_STRONG = "AES_STRONG", "AES-256-CBC, PBKDF2-SHA256, SHA-256 MAC (current systems)"
    DES_AVERAGE = "DES_AVERAGE", "3DES, SHA-1 (legacy: Windows Server 2016, Java 8, old macOS)"


class HolderBehavior(models.TextChoices):
    REJECT = "reject", "Reject the new request"
    REVOKE = "revoke", "Revoke the oldest certificates (superseded)"


MAX_APPROVALS = 5
# The workflows whose pending requests an approver decides, each with its approval count.
APPROVAL_WORKFLOWS = ("enroll", "revoke", "update", "renew", "recover", "migrate", "import")


def _approvals_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_APPROVALS)]
    )


# Expiry notices (certificates/expiry_notices.py): days before a certificate's notAfter at
# which its owner and team hear of it, most distant first.
DEFAULT_EXPIRY_NOTICE_DAYS = [30, 7, 1]
MAX_EXPIRY_NOTICE_DAYS = 3650  # ten years: beyond any certificate's useful notice
MAX_EXPIRY_NOTICES = 10


class GrantLevel(models.TextChoices):
    REQUEST = "request", "Request (needs approval)"
    PERFORM = "perform", "Perform (executes at once, approves others' requests)"


# The challenges an ACME profile may offer (RFC 8555 §8.3, §8.4), and the bounds of its
# timings: an order must stay open long enough to be validated, retries must not stall a worker.
ACME_CHALLENGE_TYPES = ("http-01", "dns-01")
ACME_MIN_ORDER_LIFETIME = dt.timedelta(minutes=1)
ACME_MAX_ORDER_LIFETIME = dt.timedelta(days=30)
ACME_MAX_RETRY_DELAY = dt.timedelta(hours=1)
ACME_MAX_RETRY_COUNT = 10


def default_acme_challenge_types() -> list[str]:
    return ["http-01", "dns-01"]


def default_expiry_notice_days() -> list[int]:
    return list(DEFAULT_EXPIRY_NOTICE_DAYS)


def expiry_notice_problem(days: Any) -> str | None:
    """What is wrong with a list of expiry notice thresholds, or None."""
    if not isinstance(days, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in days
    ):
        return "a list of whole numbers of days (e.g. 30, 7, 1)"
    if any(not 1 <= d <= MAX_EXPIRY_NOTICE_DAYS for d in days):
        return f"each between 1 and {MAX_EXPIRY_NOTICE_DAYS} days"
    if len(set(days)) != len(days):
        return "each number of days once"
    if len(days) > MAX_EXPIRY_NOTICES:
        return f"at most {MAX_EXPIRY_NOTICES} notices"
    return None


class ProfileQuerySet(RevisedQuerySet):
    def enabled(self):
        return self.filter(enabled=True)


class Profile(models.Model):
    """A certificate profile: what a certificate looks like and who may ask for it."""

    name = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=128, blank=True)
    description = models.TextField(blank=True)
    module = models.CharField(max_length=16, choices=Module.choices, default=Module.WEBRA)
    enabled = models.BooleanField(default=True)
    ca = models.ForeignKey(
        "certificates.CertificateAuthority",
        on_delete=models.PROTECT,
        related_name="profiles",
        verbose_name="issuing CA",
        # A CA with its key (a keyless one is a trust entry: it cannot sign). A root may
        # issue, as in Horizon (a self-signed integrated connector); the editor warns.
        limit_choices_to={"sealed_key__isnull": False},
        help_text="Usually a subordinate (issuing) CA: end-entity certificates signed "
        "directly by a root make the root's key an online key.",
    )
    validity_days = models.PositiveIntegerField(default=365, validators=[MinValueValidator(1)])
    extended_key_usages = models.JSONField(
        default=list, blank=True, help_text="serverAuth, clientAuth, emailProtection…"
    )
    ocsp_in_aia = models.BooleanField(
        "OCSP URL in certificates",
        default=False,
        help_text="Certificates name the CA's OCSP responder (/ocsp/<ca>) in their Authority "
        "Information Access, and relying parties ask it instead of fetching the CRL.",
    )

    # crypto policy
    centralized = models.BooleanField(
        default=True, help_text="The portal may generate the key and deliver a PKCS#12."
    )
    decentralized = models.BooleanField(
        default=True, help_text="The requester may send a CSR (PKCS#10)."
    )
    authorized_key_types = models.JSONField(default=list)
    default_key_type = models.CharField(
        max_length=32, choices=KEY_TYPE_CHOICES, default="ec-secp256r1"
    )
    escrow = models.BooleanField(
        default=False, help_text="Keep server-generated keys (encrypted) for recovery."
    )
    p12_encryption = models.CharField(
        "PKCS#12 encryption",
        max_length=16,
        choices=P12Encryption.choices,
        default=P12Encryption.AES_STRONG,
        help_text="The legacy algorithms only for systems that cannot read the strong ones.",
    )
    p12_password_mode = models.CharField(
        "PKCS#12 password mode",
        max_length=8,
        choices=PasswordMode.choices,
        default=PasswordMode.MANUAL,
    )
    password_policy = models.ForeignKey(
        "PasswordPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="profiles",
        help_text="For PKCS#12 passwords; empty: Horizon-Default.",
    )

    # owner, team and contact email policies (subject, SANs and labels are rule rows below)
    owner_mandatory = models.BooleanField(default=False)
    # Off by default: the owner gets rights on the certificate, and a requester should not
    # hand a certificate to someone else unless the profile says so.
    owner_editable_by_requester = models.BooleanField(default=False)
    owner_editable_by_approver = models.BooleanField(default=True)
    team_mandatory = models.BooleanField(default=False)
    team_editable_by_requester = models.BooleanField(default=True)
    team_editable_by_approver = models.BooleanField(default=True)
    team_default = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_whitelist = models.ManyToManyField(
        Team,
        blank=True,
        related_name="+",
        help_text="If not empty, the only teams a certificate of this profile may belong to.",
    )
    contact_email_mandatory = models.BooleanField(default=False)
    contact_email_editable_by_requester = models.BooleanField(default=True)
    contact_email_editable_by_approver = models.BooleanField(default=True)
    contact_email_regex = models.CharField(max_length=256, blank=True, validators=[validate_regex])
    team_members_only = models.BooleanField(
        default=False,
        help_text="A requester may only choose a team they are a member of (Horizon lets "
        "them choose any team the team policy allows).",
    )
    dns_names_fully_qualified = models.BooleanField(
        default=False,
        help_text="Refuse single-label DNS names (intranet, printer1): only host.domain. "
        "Off, as in Horizon: private PKIs name hosts that way.",
    )
    allow_wildcards = models.BooleanField(
        default=False,
        help_text="Accept DNS names like *.example.com (CA/Browser Forum TLS practice; "
        "RFC 5280 does not define wildcards, and PKIX linters flag them).",
    )
    allow_mixed_script_labels = models.BooleanField(
        default=False,
        help_text="Accept internationalized DNS labels that mix scripts (a Cyrillic a, U+0430, "
        "among Latin letters): they can imitate another name (a homograph). Japanese, Chinese and "
        "Korean mixes are always accepted.",
    )

    # Horizon's CertificateProfileTriggers: trigger names per event ({"onSubmitEnroll":
    # ["mail-approvers"], "onExpire": [{"name": "expiry-mail"}]…}), fired by triggers/.
    triggers = models.JSONField(default=dict, blank=True)

    # Workflows any signed-in account may use at a level without a grant (Horizon's
    # "authenticated" authorization level): {"enroll": "request", "revoke": "perform"…}.
    authenticated_levels = models.JSONField(default=dict, blank=True)
    # Horizon's self permissions: what the owner of a certificate may do on it.
    self_revoke = models.BooleanField(default=False)
    self_update = models.BooleanField(default=False)
    self_renew = models.BooleanField(default=False)
    self_recover = models.BooleanField(default=False)
    # Horizon's selfPop* permissions: whoever proves possession of a certificate's private key
    # (X-JWT-CERT-POP, certificates/pop.py) may renew, revoke or update it, without an account.
    self_pop_renew = models.BooleanField(default=False)
    self_pop_revoke = models.BooleanField(default=False)
    self_pop_update = models.BooleanField(default=False)

    # lifecycle policy
    renewal_enabled = models.BooleanField(default=True)
    renewal_period_days = models.PositiveIntegerField(
        default=30, help_text="Renewal is allowed this many days before expiry."
    )
    max_per_holder = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Most valid certificates one holder (same DN and SANs) may have here.",
    )
    max_per_holder_behavior = models.CharField(
        max_length=8, choices=HolderBehavior.choices, default=HolderBehavior.REJECT
    )

    # EST / SCEP: devices enroll with a one-time challenge created through a request
    challenge_enabled = models.BooleanField(
        default=True,
        help_text="EST/SCEP: devices need a one-time challenge created in the portal "
        "(SCEP pre-validation).",
    )
    dn_whitelist = models.BooleanField(
        default=False,
        help_text="EST/SCEP: a challenge is bound to a DN; the device must ask for that DN.",
    )
    challenge_password_mode = models.CharField(
        max_length=8,
        choices=PasswordMode.choices,
        default=PasswordMode.RANDOM,
        help_text="EST/SCEP: who chooses the challenge password.",
    )

    # ACME (RFC 8555, acme/): servers enroll by themselves at /acme/<profile>/directory.
    acme_eab_required = models.BooleanField(
        default=False,
        help_text="ACME: new accounts must bring an External Account Binding made in the "
        "portal (RFC 8555 §7.3.4); each account then acts as that key's user or team.",
    )
    acme_unbound_level = models.CharField(
        max_length=8,
        choices=[("", "None: such accounts cannot order"), *GrantLevel.choices],
        default=GrantLevel.REQUEST,
        blank=True,
        help_text="ACME: what an account bound to no user or team (no EAB) may do — request "
        "(orders wait for an approver) or perform (issued once the names are validated).",
    )
    acme_challenge_types = models.JSONField(
        default=default_acme_challenge_types,
        blank=True,
        help_text="ACME: the challenges offered for each name (http-01, dns-01).",
    )
    acme_order_lifetime = models.DurationField(
        default=dt.timedelta(days=1),
        help_text="ACME: how long an order and its authorizations stay open.",
    )
    acme_verify_retry_count = models.PositiveSmallIntegerField(
        default=3, help_text="ACME: validation attempts before a challenge fails."
    )
    acme_verify_retry_delay = models.DurationField(
        default=dt.timedelta(seconds=5), help_text="ACME: the wait between validation attempts."
    )
    acme_terms_of_service = models.URLField(blank=True, help_text="ACME: terms of service URL.")
    acme_website = models.URLField(blank=True, help_text="ACME: a web page about this service.")
    acme_max_dns_names = models.PositiveSmallIntegerField(
        default=100,
        validators=[MinValueValidator(1)],
        help_text="ACME: the most names one order may ask for.",
    )

    # Expiry notices: the owner and team of a certificate of this profile hear, once per
    # threshold, that it expires within this many days (certificates/expiry_notices.py).
    # Empty: no notice. Kept most distant first.
    expiry_notice_days = models.JSONField(
        default=default_expiry_notice_days,
        blank=True,
        help_text="Days before expiry at which owners and teams are mailed (e.g. 30, 7, 1); "
        "empty: no notice.",
    )

    # request policy: how long a pending request waits for a decision, per workflow
    enroll_request_expiry_days = models.PositiveSmallIntegerField(default=7)
    revoke_request_expiry_days = models.PositiveSmallIntegerField(default=7)
    update_request_expiry_days = models.PositiveSmallIntegerField(default=7)
    renew_request_expiry_days = models.PositiveSmallIntegerField(default=7)
    recover_request_expiry_days = models.PositiveSmallIntegerField(default=7)
    migrate_request_expiry_days = models.PositiveSmallIntegerField(default=7)

    # Dual control: how many distinct approvers a pending request needs, per workflow (1: one
    # approval executes it, as before). Never the requester; any denial ends it. With more
    # than 1, nobody executes the workflow alone: a submission by a ``perform`` holder waits
    # too (requests_app/services.py).
    enroll_approvals_required = _approvals_field()
    revoke_approvals_required = _approvals_field()
    update_approvals_required = _approvals_field()
    renew_approvals_required = _approvals_field()
    recover_approvals_required = _approvals_field()
    migrate_approvals_required = _approvals_field()
    import_approvals_required = _approvals_field()

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name

    def request_expiry_days(self, workflow: str) -> int:
        # Imports have no policy of their own in Horizon: they follow enroll's.
        workflow = "enroll" if workflow == Workflow.IMPORT else workflow
        return getattr(self, f"{workflow}_request_expiry_days")

    def approvals_required(self, workflow: str) -> int:
        """How many distinct approvals a pending ``workflow`` request of this profile needs."""
        return getattr(self, f"{workflow}_approvals_required", 1)

    def dual_control(self) -> dict[str, int]:
        """The workflows that need more than one approval, with how many (for summaries)."""
        return {
            workflow: self.approvals_required(workflow)
            for workflow in APPROVAL_WORKFLOWS
            if self.approvals_required(workflow) > 1
        }

    def clean(self):
        errors = {}
        if self.ca_id and not self.ca.has_key:
            errors["ca"] = (
                f"the CA {self.ca.name} has no private key here (a trust entry, for chains): "
                "choose a CA that can sign (an integrated PKI connector)"
            )
        unknown = [kt for kt in self.authorized_key_types or [] if kt not in KEY_TYPES]
        if unknown:
            errors["authorized_key_types"] = f"unknown key types: {', '.join(unknown)}"
        elif self.authorized_key_types and self.default_key_type not in self.authorized_key_types:
            errors["default_key_type"] = "the default key type must be one of the authorized ones"
        levels = self.authenticated_levels or {}
        if not isinstance(levels, dict) or any(
            workflow not in Workflow.values or level not in GrantLevel.values
            for workflow, level in levels.items()
        ):
            errors["authenticated_levels"] = "map workflows (enroll, revoke…) to request or perform"
        if (problem := expiry_notice_problem(self.expiry_notice_days)) is not None:
            errors["expiry_notice_days"] = problem
        else:
            self.expiry_notice_days = sorted(self.expiry_notice_days, reverse=True)
        if not self.centralized and not self.decentralized:
            errors["centralized"] = "enable centralized or decentralized enrollment (or both)"
        if self.module == Module.ACME:
            errors |= self._acme_problems()
        known_ekus = {value for value, _ in EKU_CHOICES}
        if any(eku not in known_ekus for eku in self.extended_key_usages or []):
            errors["extended_key_usages"] = "unknown extended key usage"
        if errors:
            raise ValidationError(errors)

    def _acme_problems(self) -> dict[str, str]:
        """What an ACME profile's settings cannot be."""
        errors = {}
        if self.centralized:
            # RFC 8555 §7.4: the client finalizes its order with its own CSR; the portal never
            # makes an ACME client's key.
            errors["centralized"] = (
                "ACME is decentralized only: the client sends its CSR (RFC 8555 §7.4)"
            )
        types = self.acme_challenge_types
        if (
            not isinstance(types, list)
            or not types
            or any(kind not in ACME_CHALLENGE_TYPES for kind in types)
            or len(set(types)) != len(types)
        ):
            errors["acme_challenge_types"] = (
                f"one or more of {', '.join(ACME_CHALLENGE_TYPES)}, each once"
            )
        if not ACME_MIN_ORDER_LIFETIME <= self.acme_order_lifetime <= ACME_MAX_ORDER_LIFETIME:
            errors["acme_order_lifetime"] = "between 1 minute and 30 days"
        if not dt.timedelta(0) <= self.acme_verify_retry_delay <= ACME_MAX_RETRY_DELAY:
            errors["acme_verify_retry_delay"] = "between 0 seconds and 1 hour"
        if not 1 <= (self.acme_verify_retry_count or 0) <= ACME_MAX_RETRY_COUNT:
            errors["acme_verify_retry_count"] = f"between 1 and {ACME_MAX_RETRY_COUNT} attempts"
        return errors

    def notice_thresholds(self) -> list[int]:
        """The valid expiry notice thresholds, most distant first (a hand-edited row with
        something else in it sends none rather than failing the whole run)."""
        days = self.expiry_notice_days
        if expiry_notice_problem(days) is not None:
            return []
        return sorted(days, reverse=True)

    def effective_password_policy(self) -> "PasswordPolicy":
        return self.password_policy or PasswordPolicy.default()


class RuleFlags(models.Model):
    """What every template rule says about who may set the value."""

    mandatory = models.BooleanField(default=False)
    editable_by_requester = models.BooleanField(default=True)
    editable_by_approver = models.BooleanField(default=True)
    regex = models.CharField(
        max_length=256,
        blank=True,
        validators=[validate_regex],
        help_text="The whole value must match (Python syntax).",
    )

    objects = RevisedQuerySet.as_manager()

    class Meta:
        abstract = True


class SubjectRule(RuleFlags):
    """One element of the subject DN, e.g. ``cn.1`` (type and 1-based index)."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="subject_rules")
    element = models.CharField(max_length=32, help_text="cn.1, o.1, ou.2…")
    value = models.CharField(
        max_length=1024, blank=True, help_text="Default value (the only one if not editable)."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "element"], name="uniq_subject_rule")
        ]

    def __str__(self) -> str:
        return self.element

    def clean(self):
        try:
            names.parse_element(self.element)
        except ValueError as exc:
            raise ValidationError({"element": str(exc)}) from exc


class SanRule(RuleFlags):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="san_rules")
    san_type = models.CharField(
        "type", max_length=16, choices=[(t, names.SAN_LABELS[t]) for t in names.SAN_TYPES]
    )
    min = models.PositiveSmallIntegerField(default=0)
    max = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "san_type"], name="uniq_san_rule"),
            models.CheckConstraint(
                condition=Q(min__lte=models.F("max")),
                name="san_min_le_max",
                violation_error_message="min is more than max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.san_type} {self.min}..{self.max}"

    def clean(self):
        if self.min > self.max:
            raise ValidationError({"min": f"min ({self.min}) is more than max ({self.max})"})


class LabelRule(RuleFlags):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="label_rules")
    label = models.SlugField(max_length=64)
    value = models.CharField(max_length=256, blank=True, help_text="Default value.")
    enum = models.JSONField(
        default=list, blank=True, help_text="If not empty, the only values allowed."
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["profile", "label"], name="uniq_label_rule")]

    def __str__(self) -> str:
        return self.label


LEVEL_RANK = {GrantLevel.REQUEST: 1, GrantLevel.PERFORM: 2}


class GrantQuerySet(RevisedQuerySet):
    def for_user(self, user: Any) -> "GrantQuerySet":
        """Grants held by ``user``, directly or through one of their teams."""
        return self.filter(Q(user=user) | Q(team__members=user))


class Grant(models.Model):
    """A principal (a user or a team) may request or perform a workflow on a profile."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="grants")
    workflow = models.CharField(max_length=16, choices=Workflow.choices)
    level = models.CharField(max_length=8, choices=GrantLevel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rap_grants",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )

    objects = GrantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="grant_one_principal",
            ),
            models.UniqueConstraint(
                fields=["profile", "workflow", "user"],
                name="uniq_grant_user",
                condition=Q(user__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["profile", "workflow", "team"],
                name="uniq_grant_team",
                condition=Q(team__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["profile", "workflow"], name="grant_profile_workflow")]

    def __str__(self) -> str:
        return f"{self.user or self.team}: {self.level} {self.workflow} on {self.profile}"


class ConfigRevision(models.Model):
    """One row: the token of the configuration's current revision (profiles/revision.py)."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token
