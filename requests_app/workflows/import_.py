"""WebRA import: register a certificate issued elsewhere (or before this portal), optionally
with its private key for escrow, on a profile or on none (administrators only).

Or, given ``certificateId`` (Horizon's WebRAImportRequestOnSubmit allows it without
``certificatePem``), take a certificate the portal already holds without a profile — found by
a discovery campaign, or imported on no profile — onto a profile, with its private key when
the profile escrows keys: the key must be the certificate's (WEBRA-IMPORT-001 otherwise),
the certificate must fit the profile's rules as any import does, and its owner defaults to
the importer as for a new import. A certificate already on the profile may only gain the key
the profile escrows (WEBRA-IMPORT-003 when it has one); one on another profile moves with
migrate, not here.
"""

from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from certificates.models import Certificate, EscrowedKey
from certificates.pki import names
from certificates.pki.fingerprints import public_key_thumbprint, thumbprint
from certificates.services import (
    certificate_fields,
    escrow_key,
    issuing_authority,
    record_certificate,
    save_certificate,
)
from profiles import template_rules as rules
from profiles.models import Profile, Team
from raportal.callers import Principal, has_account
from raportal.errors import DomainError
from raportal.models import record
from requests_app.api.inputs import ImportSubmitInput, ImportTemplateInput, parse
from requests_app.models import Request
from requests_app.workflows import template_description as describe
from requests_app.workflows.base import Body, Prepared, Secrets, Target, WorkflowHandler
from requests_app.workflows.certificate_data import (
    CertificateData,
    check_data,
    data_template_json,
    reject_metadata,
)
from requests_app.workflows.fitness import check_fits, refuse_authorities
from requests_app.workflows.lookups import find_certificate, find_profile, parse_certificate_pem

INVALID = "WEBRA-IMPORT-001"
EXISTING = "certificateId"  # in a stored request's template: it imports a held certificate


class ImportWorkflow(WorkflowHandler):
    module = "webra"
    name = "import"
    submit_serializer = ImportSubmitInput

    def resolve(self, data: Body, user: Principal) -> Target:
        if not data.get("certificatePem") and not data.get("certificateId"):
            raise DomainError(
                "WEBRA-IMPORT-004", "certificatePem is required (or certificateId of a held one)"
            )
        profile = find_profile(data["profile"], self.module) if data.get("profile") else None
        if not data.get("certificateId"):
            return Target(profile)
        # A certificate the portal holds, among those the caller may see (404 otherwise).
        certificate = find_certificate(
            user, data, missing="WEBRA-IMPORT-004", unknown="REQ-009", invalid=INVALID
        )
        if profile is None:
            raise DomainError(
                INVALID, "importing a held certificate puts it on a profile: name the profile"
            )
        return Target(profile, certificate)

    def target_of(self, request: Request) -> Target:
        return Target(request.profile, request.certificate)

    def check_not_duplicate(self, target: Target) -> None:
        """One pending import of a held certificate at a time."""
        if target.certificate is None:
            return
        waiting = Request.objects.pending().filter(
            certificate=target.certificate, workflow=self.name
        )
        if waiting.exists():
            raise DomainError(
                "REQ-002",
                "an import of this certificate is already waiting for approval: cancel it, "
                "or wait for its decision",
            )

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        template = data.get("template") or {}
        reject_metadata(template)
        held = target.certificate
        if held is not None:
            certificate = x509.load_pem_x509_certificate(held.pem.encode())
            _check_takeable(held, target.profile)
        else:
            try:
                certificate = parse_certificate_pem(data["certificatePem"])
            except ValueError as exc:
                raise DomainError(INVALID, str(exc), fields={"certificatePem": str(exc)}) from None
        _check_importable(certificate, target.profile)
        key = _private_key(template.get("privateKey"), certificate, target.profile)
        checked = self._check_data(
            target.profile,
            template,
            user=user,
            editor=rules.REQUESTER,
            current=_current_data(held, user),
        )
        prepared = Prepared(
            target.profile, held, {"certificate": certificate, "key": key, "data": checked}
        )
        _check_new(prepared)
        return prepared

    def _check_data(
        self,
        profile: Profile | None,
        template: dict[str, Any],
        *,
        user: Principal,
        editor: str,
        current: CertificateData,
    ) -> CertificateData:
        if profile is not None:
            return check_data(profile, template, editor=editor, user=user, current=current)
        if template.get("labels"):
            raise DomainError(INVALID, "labels are defined by a profile: import on a profile")
        return _unprofiled_data(template, current)

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        certificate = prepared.data["certificate"]
        request.template = {
            "certificatePem": certificate.public_bytes(serialization.Encoding.PEM).decode()
        }
        if prepared.certificate is not None:
            request.template[EXISTING] = str(prepared.certificate.pk)
            request.certificate = prepared.certificate
        fields = certificate_fields(certificate)
        request.dn, request.holder_id = fields["dn"], fields["holder_id"]
        prepared.data["data"].apply_to(request)
        key = prepared.data["key"]
        request.seal_key(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            if key is not None
            else None
        )

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        held = None
        if request.template.get(EXISTING):
            held = request.certificate
            if held is None:
                raise DomainError("REQ-009", "the certificate of this request no longer exists")
            _check_takeable(held, request.profile)
        certificate = parse_certificate_pem(request.template["certificatePem"])
        _check_importable(certificate, request.profile)
        der = request.open_key()
        key = serialization.load_der_private_key(der, None) if der else None
        edits = parse(ImportTemplateInput, data.get("template") or {})
        reject_metadata(edits)
        if edits.get("privateKey"):
            raise DomainError(INVALID, "the private key of an import cannot change on approval")
        checked = self._check_data(
            request.profile,
            edits,
            user=approver,
            editor=rules.APPROVER,
            current=CertificateData.of(request),
        )
        prepared = Prepared(
            request.profile, held, {"certificate": certificate, "key": key, "data": checked}
        )
        _check_new(prepared)
        return prepared

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        if prepared.certificate is not None:
            self._take(request, prepared.certificate, prepared, actor)
            return None
        _check_new(prepared)
        checked: CertificateData = prepared.data["data"]
        certificate = prepared.data["certificate"]
        try:
            with transaction.atomic():  # a concurrent identical import: one wins
                row = record_certificate(
                    certificate,
                    ca=issuing_authority(certificate),
                    profile=prepared.profile,
                    owner=checked.owner,
                    team=checked.team,
                    contact_email=checked.contact_email,
                    labels=checked.labels,
                    private_key_to_escrow=prepared.data["key"],
                )
        except IntegrityError:
            raise DomainError(INVALID, "this certificate is already registered") from None
        record(
            actor,
            "certificate.import",
            row,
            serial=row.serial,
            dn=row.dn,
            escrowed=prepared.data["key"] is not None,
        )
        request.certificate = row
        request.sealed_key = None
        return None

    def _take(
        self, request: Request, held: Certificate, prepared: Prepared, actor: Principal
    ) -> None:
        """The held certificate joins the profile, with its key escrowed when given. Its row
        is locked and checked again: it may have moved, or gained a key, since the request
        was filed."""
        row = (
            Certificate.objects.select_for_update(of=("self",))
            .select_related("profile", "owner", "team", "escrowed_key")
            .get(pk=held.pk)
        )
        profile = prepared.profile
        assert profile is not None, "a held certificate is imported onto a profile (resolve)"
        _check_takeable(row, profile)
        _check_new(prepared)
        checked: CertificateData = prepared.data["data"]
        changed = checked.apply_to(row)
        if row.profile_id != profile.pk:
            row.profile, row.module = profile, profile.module
            changed += ["profile", "module"]
        key = prepared.data["key"]
        if key is not None:
            escrow_key(row, key)
        save_certificate(
            row,
            changed,
            actor,
            "certificate.import",
            dn=row.dn,
            profile=profile.name,
            escrowed=key is not None,
        )
        request.certificate = row
        request.sealed_key = None

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        assert target.profile is not None, "a template is described on a profile"
        return describe.certificate_data(target.profile, None, user)

    def template_json(self, request: Request) -> dict[str, Any]:
        return data_template_json(request)


def _private_key(
    pem: str | None, certificate: x509.Certificate, profile: Profile | None
) -> PrivateKeyTypes | None:
    """The key to escrow. As Horizon's contract says: mandatory when the profile escrows keys
    (every key of such a profile can be recovered), forbidden otherwise (never kept for
    nothing)."""
    escrows = profile is not None and profile.escrow
    if profile is not None and escrows and not pem:
        raise _key_error(
            f"profile {profile.name} escrows keys: send template.privateKey",
            "This profile keeps the key of every certificate: upload the PKCS#12 file with "
            "the certificate and its key.",
        )
    if not escrows and pem:
        raise _key_error(
            "this profile does not escrow keys: do not send one",
            "This profile does not keep keys: give the certificate alone, without its key.",
        )
    if not pem:
        return None
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _key_error(
            "template.privateKey is not an unencrypted PEM private key",
            "This is not a readable private key: give it in PEM, without a password.",
        ) from None
    if key.public_key() != certificate.public_key():
        raise _key_error(
            "template.privateKey is not the key of this certificate",
            "This private key does not belong to this certificate.",
        )
    return key


def _key_error(detail: str, in_words: str) -> DomainError:
    """A refused private key: the API's detail, and plain words beside the page's key field."""
    return DomainError(INVALID, detail, fields={"privateKey": in_words})


def _check_importable(certificate: x509.Certificate, profile: Profile | None) -> None:
    """No CA certificate, and on a profile only what that profile could have issued: its
    renewals will sign these names again."""
    refuse_authorities(certificate, code=INVALID)
    try:
        names.check_names_visible(
            certificate.subject, certificate.extensions, whose="the certificate's"
        )
    except ValueError as exc:
        raise DomainError(INVALID, str(exc)) from None
    if profile is not None:
        check_fits(certificate, profile, code=INVALID)


def _check_takeable(held: Certificate, profile: Profile | None) -> None:
    """A held certificate joins a profile from none; on its own profile it may only gain the
    key the profile escrows."""
    if held.profile_id is None:
        return
    if profile is None or held.profile_id != profile.pk:
        current = held.profile
        assert current is not None, "its profile_id is set (a protected foreign key)"
        raise DomainError(
            INVALID,
            f"this certificate is on profile {current.name}: move it with migrate",
        )
    if not profile.escrow:
        raise DomainError(INVALID, f"this certificate is already on profile {profile.name}")
    if held.escrowed:
        raise DomainError("WEBRA-IMPORT-003", "this certificate's key is already escrowed")


def _current_data(held: Certificate | None, user: Principal) -> CertificateData:
    """What an import starts from: the importer owns a new certificate (and one the portal
    held on no profile, unless it has an owner); what a held one carries stays."""
    # Only an account imports (profiles/access.py: a caller without one holds no level on a
    # profile, nor the superuser's on none), and only an account has an email address.
    email = (user.email or "") if has_account(user) else ""
    if held is None:
        return CertificateData([], user, None, email)
    return CertificateData(
        list(held.labels),
        held.owner or user,
        held.team,
        held.contact_email or (email if held.owner_id is None else "") or "",
    )


def _check_new(prepared: Prepared) -> None:
    certificate = prepared.data["certificate"]
    held = prepared.certificate
    if held is None and Certificate.objects.filter(thumbprint=thumbprint(certificate)).exists():
        raise DomainError(INVALID, "this certificate is already registered")
    if (
        prepared.data["key"] is not None
        and EscrowedKey.objects.filter(
            certificate__public_key_thumbprint=public_key_thumbprint(certificate)
        ).exists()
    ):
        raise DomainError("WEBRA-IMPORT-003", "this certificate's key is already escrowed")


def _unprofiled_data(template: dict[str, Any], current: CertificateData) -> CertificateData:
    """Without a profile there are no rules, only existence checks (administrators only)."""
    owner, team, email = current.owner, current.team, current.contact_email
    if template.get("owner") is not None:
        name = (template["owner"].get("value") or "").strip()
        owner = get_user_model().objects.filter(username=name).first() if name else None
        if name and owner is None:
            raise DomainError("CERT-ELEM-001", f"owner {name!r} is not a known user")
    if template.get("team") is not None:
        name = (template["team"].get("value") or "").strip()
        team = Team.objects.filter(name=name).first() if name else None
        if name and team is None:
            raise DomainError("CERT-TEAM-001", f"team {name!r} does not exist")
    if template.get("contactEmail") is not None:
        email = (template["contactEmail"].get("value") or "").strip()
    if email:
        email = rules.check_contact_email_syntax(email)
    return CertificateData([], owner, team, email)
