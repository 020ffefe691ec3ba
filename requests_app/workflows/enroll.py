"""WebRA enroll: a new certificate, from the requester's CSR (decentralized) or from a key
the portal generates and hands back in a PKCS#12 (centralized)."""

from typing import Any

from cryptography import x509

from certificates.pki import names
from certificates.pki.csr import csr_pem
from certificates.pki.keys import PrivateKey, key_type_of
from certificates.services import ensure_ca_can_issue, issue_certificate
from profiles.models import Profile
from profiles.template_rules import CheckedTemplate
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import EnrollSubmitInput, EnrollTemplateInput, parse
from requests_app.models import Request
from requests_app.workflows import keys
from requests_app.workflows import requested_template as requested
from requests_app.workflows import template_description as describe
from requests_app.workflows.base import (
    Body,
    Prepared,
    Secrets,
    Target,
    WorkflowHandler,
    filed_profile,
)
from requests_app.workflows.holder_limit import enforce_holder_limit, reject_if_over_limit

INVALID = "WEBRA-ENROLL-012"


class EnrollWorkflow(WorkflowHandler):
    module = "webra"
    name = "enroll"
    submit_serializer = EnrollSubmitInput

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        profile = filed_profile(target.profile)
        template = data["template"]
        requested.reject_unsupported(template, invalid_code=INVALID)
        ensure_ca_can_issue(profile.ca)
        csr, key_type = keys.choose_key_material(
            template, profile, default_key_type=profile.default_key_type, invalid_code=INVALID
        )
        password = keys.pkcs12_password(
            data, profile, produces_pkcs12=csr is None, invalid_code=INVALID
        )
        checked = requested.check_for_requester(profile, template, user, csr=csr)
        prepared = _prepared(profile, checked, csr=csr, key_type=key_type, password=password)
        reject_if_over_limit(profile, prepared.data["identity"].holder_id)
        return prepared

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        data = prepared.data
        request.template = requested.fill_request(request, data["checked"], data["identity"]) | {
            "keyType": data["key_type"],
            "csr": csr_pem(data["csr"]) if data["csr"] is not None else None,
        }
        request.seal_password(data["password"])

    def prepare_approval(self, request: Request, data: Body, approver: Principal) -> Prepared:
        profile = filed_profile(request.profile)
        stored = request.template
        edits = parse(EnrollTemplateInput, data.get("template") or {})
        requested.reject_unsupported(edits, invalid_code=INVALID)
        if _changes_key(edits, stored):
            raise DomainError(INVALID, "the key of a request cannot be changed on approval")
        ensure_ca_can_issue(profile.ca)
        # The profile may have changed since the submission: the request must still fit it.
        keys.check_mode_still_allowed(profile, with_csr=bool(stored.get("csr")))
        csr = None
        if stored.get("csr"):
            csr = keys.load_request_csr(stored["csr"])
            keys.check_key_type(key_type_of(csr.public_key()), profile)
        else:
            keys.check_key_type(stored["keyType"], profile)
        checked = requested.check_for_approver(profile, request, edits, approver)
        password = keys.approval_password(
            request, profile, produces_pkcs12=csr is None, invalid_code=INVALID
        )
        return _prepared(
            profile, checked, csr=csr, key_type=stored.get("keyType"), password=password
        )

    def prepare_material(self, prepared: Prepared) -> None:
        # RSA key generation takes tens of milliseconds (seconds for 4096 bits): not while
        # holding the request's row lock or the holder lock.
        if prepared.data["csr"] is None and prepared.data.get("key") is None:
            prepared.data["key"] = keys.new_private_key(prepared.data["key_type"])

    def execute(self, request: Request, prepared: Prepared, actor: Principal) -> Secrets | None:
        data, profile = prepared.data, filed_profile(prepared.profile)
        checked, identity = data["checked"], data["identity"]
        enforce_holder_limit(profile, identity.holder_id, actor)
        key: PrivateKey | None = None
        if data["csr"] is not None:
            public_key = data["csr"].public_key()
        else:
            self.prepare_material(prepared)
            key = data["key"]
            public_key = key.public_key()
        row, certificate = issue_certificate(
            profile=profile,
            public_key=public_key,
            subject=identity.subject,
            sans=checked.sans,
            owner=checked.owner,
            team=checked.team,
            contact_email=checked.contact_email,
            labels=checked.labels,
            private_key_to_escrow=key if profile.escrow else None,
            actor=actor,
        )
        request.certificate = row
        if key is None:
            return None
        return keys.deliver_pkcs12(
            key=key,
            certificate=certificate,
            ca=profile.ca,
            profile=profile,
            password=data["password"],
            serial=row.serial,
        )

    def describe(self, target: Target, user: Principal, data: Body) -> dict[str, Any]:
        profile = filed_profile(target.profile)
        subject_values: dict[str, str] = {}
        san_values: dict[str, list[str]] = {}
        csr_text = ((data.get("template") or {}).get("csr")) or None
        if csr_text:  # prefill from the requester's CSR, as the submission would
            csr = keys.load_request_csr(csr_text)
            subject_values = dict(names.name_to_elements(csr.subject))
            for item in requested.csr_sans(csr, profile):
                san_values[item["type"]] = item["value"]
        description: dict[str, Any] = describe.requested_certificate(
            profile, user, subject_values=subject_values, san_values=san_values
        )
        return description | {
            "capabilities": describe.capabilities(profile),
            "passwordPolicy": profile.effective_password_policy().as_json(),
        }

    def template_json(self, request: Request) -> dict[str, Any]:
        return requested.template_json(request) | {
            "keyType": request.template.get("keyType"),
            "csr": request.template.get("csr"),
        }


def _prepared(
    profile: Profile,
    checked: CheckedTemplate,
    *,
    csr: x509.CertificateSigningRequest | None,
    key_type: str | None,
    password: str | None,
) -> Prepared:
    return Prepared(
        profile=profile,
        data={
            "checked": checked,
            "identity": requested.identity_of(checked),
            "csr": csr,
            "key_type": key_type,
            "password": password,
        },
    )


def _changes_key(edits: dict[str, Any], stored: dict[str, Any]) -> bool:
    """An approver may echo the request's key material back, not replace it."""
    if edits.get("keyType") and edits["keyType"] != stored.get("keyType"):
        return True
    if edits.get("csr"):
        try:
            return csr_pem(keys.load_request_csr(edits["csr"])) != stored.get("csr")
        except DomainError:
            return True
    return False
