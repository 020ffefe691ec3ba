"""WebRA enroll: a new certificate, from the requester's CSR (decentralized) or from a key
the portal generates and hands back in a PKCS#12 (centralized)."""

from cryptography import x509

from certificates.holder import holder_id
from certificates.pki import names
from certificates.pki.csr import csr_pem, load_csr
from certificates.pki.keys import KEY_TYPES, generate_private_key, key_type_of
from certificates.pki.pkcs12 import build_pkcs12
from certificates.services import ensure_ca_can_issue, issue_certificate
from profiles import template_rules as rules
from profiles.models import PasswordMode, Profile
from raportal.errors import DomainError
from requests_app.api.inputs import EnrollSubmitInput, EnrollTemplateInput, parse
from requests_app.models import Request
from requests_app.workflows.base import Prepared, Secrets, WorkflowHandler
from requests_app.workflows.holder_limit import enforce_holder_limit, reject_if_over_limit


def _invalid(detail: str) -> DomainError:
    return DomainError("WEBRA-ENROLL-012", detail)


class EnrollWorkflow(WorkflowHandler):
    module = "webra"
    name = "enroll"
    submit_serializer = EnrollSubmitInput

    # --- submission ----------------------------------------------------------------------

    def prepare_submission(self, data: dict, profile: Profile, user) -> Prepared:
        template = data["template"]
        _reject_unsupported(template)
        ensure_ca_can_issue(profile.ca)
        csr, key_type = self._key_material(template, profile)
        password = self._password(data, profile, centralized=csr is None)
        requested_subject = template.get("subject")
        requested_sans = template.get("sans")
        if csr is not None:
            # The CSR proves possession of the key; its subject and SANs only fill in what
            # the template leaves out, limited to what the profile lets the requester set.
            if requested_subject is None:
                requested_subject = _csr_subject(csr, profile)
            if requested_sans is None:
                requested_sans = _csr_sans(csr, profile)
        checked = rules.CheckedTemplate(
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
        prepared = _prepared(profile, checked, csr=csr, key_type=key_type, password=password)
        reject_if_over_limit(profile, prepared.data["holder_id"])
        return prepared

    def _key_material(self, template: dict, profile: Profile):
        csr_text, key_type = template.get("csr"), template.get("keyType")
        if csr_text and key_type:
            raise _invalid(
                "give either template.csr (your own key) or template.keyType "
                "(a key generated for you), not both"
            )
        if csr_text:
            if not profile.decentralized:
                raise DomainError(
                    "WEBRA-ENROLL-001",
                    f"profile {profile.name} does not accept CSRs; ask for a generated key "
                    "with template.keyType",
                )
            try:
                csr = load_csr(csr_text)
            except ValueError as exc:
                raise DomainError("WEBRA-ENROLL-003", str(exc)) from None
            _check_key_type(key_type_of(csr.public_key()), profile)
            return csr, None
        if not profile.centralized:
            raise DomainError(
                "WEBRA-ENROLL-001",
                f"profile {profile.name} only accepts CSRs: send one in template.csr",
            )
        key_type = key_type or profile.default_key_type
        _check_key_type(key_type, profile)
        return None, key_type

    def _password(self, data: dict, profile: Profile, *, centralized: bool) -> str | None:
        given = (data.get("password") or {}).get("value")
        if not centralized:
            if given:
                raise _invalid(
                    "a PKCS#12 password only applies when the portal generates the "
                    "key; with a CSR, your key never leaves your side"
                )
            return None
        if profile.p12_password_mode == PasswordMode.RANDOM:
            if given:
                raise _invalid(
                    f"profile {profile.name} generates the PKCS#12 password; do not send one"
                )
            return None
        if not given:
            raise _invalid("password.value is required: it protects the PKCS#12 file")
        problems = profile.effective_password_policy().violations(given)
        if problems:
            raise _invalid("the PKCS#12 password needs " + ", ".join(problems))
        return given

    def fill_request(self, request: Request, prepared: Prepared) -> None:
        data = prepared.data
        checked: rules.CheckedTemplate = data["checked"]
        request.template = _stored_template(checked, data)
        request.dn = data["dn"]
        request.holder_id = data["holder_id"]
        request.labels = checked.labels
        request.owner = checked.owner
        request.team = checked.team
        request.contact_email = checked.contact_email
        request.seal_password(data["password"])

    # --- approval ------------------------------------------------------------------------

    def prepare_approval(self, request: Request, data: dict, approver) -> Prepared:
        profile = request.profile
        stored = request.template
        edits = parse(EnrollTemplateInput, data.get("template") or {})
        _reject_unsupported(edits)
        if _changes_key(edits, stored):
            raise _invalid("the key of a request cannot be changed on approval")
        ensure_ca_can_issue(profile.ca)
        csr = None
        # The profile may have changed since submission: the request must still fit it.
        if stored.get("csr"):
            if not profile.decentralized:
                raise DomainError(
                    "WEBRA-ENROLL-001", "the profile no longer accepts CSRs since submission"
                )
            try:
                csr = load_csr(stored["csr"])
            except ValueError as exc:
                raise DomainError("WEBRA-ENROLL-003", str(exc)) from None
            _check_key_type(key_type_of(csr.public_key()), profile)
        else:
            if not profile.centralized:
                raise DomainError(
                    "WEBRA-ENROLL-001",
                    "the profile no longer generates keys (centralized) since submission",
                )
            _check_key_type(stored["keyType"], profile)
        current_subject = {item["element"]: item["value"] for item in stored.get("subject", [])}
        current_sans = [
            (item["type"], value) for item in stored.get("sans", []) for value in item["value"]
        ]
        checked = rules.CheckedTemplate(
            subject=rules.check_subject(
                profile, edits.get("subject"), editor=rules.APPROVER, current=current_subject
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
        password = None
        if csr is None and profile.p12_password_mode == PasswordMode.MANUAL:
            password = request.open_password()
            if not password:
                raise _invalid("the request's PKCS#12 password is no longer available")
        return _prepared(
            profile, checked, csr=csr, key_type=stored.get("keyType"), password=password
        )

    # --- execution -----------------------------------------------------------------------

    def prepare_material(self, prepared: Prepared) -> None:
        # RSA key generation takes tens of milliseconds (seconds for 4096 bits): not while
        # holding the request's row lock or the holder lock.
        if prepared.data["csr"] is None and prepared.data.get("key") is None:
            prepared.data["key"] = generate_private_key(prepared.data["key_type"])

    def execute(self, request: Request, prepared: Prepared, actor) -> Secrets | None:
        data = prepared.data
        checked: rules.CheckedTemplate = data["checked"]
        enforce_holder_limit(prepared.profile, data["holder_id"], actor)
        key = None
        if data["csr"] is not None:
            public_key = data["csr"].public_key()
        else:
            self.prepare_material(prepared)
            key = data["key"]
            public_key = key.public_key()
        row, certificate = issue_certificate(
            profile=prepared.profile,
            public_key=public_key,
            subject=data["subject_name"],
            sans=checked.sans,
            owner=checked.owner,
            team=checked.team,
            contact_email=checked.contact_email,
            labels=checked.labels,
            private_key_to_escrow=key if prepared.profile.escrow else None,
            actor=actor,
        )
        request.certificate = row
        if key is None:
            return None
        password = data["password"] or prepared.profile.effective_password_policy().generate()
        friendly = next((v for e, v in checked.subject if e.startswith("cn.")), row.serial)
        pkcs12 = build_pkcs12(
            key=key,
            certificate=certificate,
            chain=[ca.certificate for ca in prepared.profile.ca.chain()],
            password=password,
            friendly_name=friendly,
        )
        return Secrets(pkcs12=pkcs12, password=password)

    # --- representation ------------------------------------------------------------------

    def template_json(self, request: Request) -> dict:
        stored = request.template
        return {
            "subject": stored.get("subject", []),
            "sans": stored.get("sans", []),
            "labels": [{"label": item["key"], "value": item["value"]} for item in request.labels],
            "owner": {"value": request.owner.get_username() if request.owner else None},
            "team": {"value": request.team.name if request.team else None},
            "contactEmail": {"value": request.contact_email or None},
            "keyType": stored.get("keyType"),
            "csr": stored.get("csr"),
        }


def _changes_key(edits: dict, stored: dict) -> bool:
    """An approver may echo the request's key material back, not replace it."""
    if edits.get("keyType") and edits["keyType"] != stored.get("keyType"):
        return True
    if edits.get("csr"):
        try:
            return csr_pem(load_csr(edits["csr"])) != stored.get("csr")
        except ValueError:
            return True
    return False


def _check_key_type(key_type: str, profile: Profile) -> None:
    allowed = profile.authorized_key_types
    if key_type not in KEY_TYPES or key_type not in allowed:
        raise DomainError(
            "WEBRA-ENROLL-002",
            f"key type {key_type} is not allowed by profile {profile.name} "
            f"(allowed: {', '.join(allowed) or 'none'})",
        )


def _reject_unsupported(template: dict) -> None:
    if template.get("extensions"):
        raise _invalid("this portal does not set Microsoft extensions (ms_sid, ms_template)")
    if template.get("metadata"):
        raise DomainError("CERT-ELEM-001", "metadata is managed by the portal, not requested")


def _csr_subject(csr, profile: Profile) -> list[dict]:
    editable = {r.element for r in profile.subject_rules.all() if r.editable_by_requester}
    try:
        elements = names.name_to_elements(csr.subject)
    except ValueError:
        elements = []
    return [{"element": e, "value": v} for e, v in elements if e in editable]


def _csr_sans(csr, profile: Profile) -> list[dict]:
    editable = {r.san_type for r in profile.san_rules.all() if r.editable_by_requester}
    grouped: dict[str, list[str]] = {}
    for general in _csr_general_names(csr):
        try:
            san_type, value = names.san_of(general)
        except ValueError:
            continue
        if san_type in editable:
            grouped.setdefault(san_type, []).append(value)
    return [{"type": t, "value": v} for t, v in grouped.items()]


def _csr_general_names(csr):
    try:
        return csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []


def _prepared(profile, checked: rules.CheckedTemplate, *, csr, key_type, password) -> Prepared:
    if not checked.subject and not checked.sans:
        raise DomainError(
            "WEBRA-ENROLL-004",
            "the certificate would name nobody: give at least a subject element or a SAN",
        )
    # RFC 5280 §4.1.2.6: an email address in the subject must also be an rfc822Name SAN.
    for element, value in checked.subject:
        if element.startswith("e.") and ("RFC822NAME", value) not in checked.sans:
            checked.sans.append(("RFC822NAME", value))
    subject_name = names.build_name(checked.subject)
    return Prepared(
        profile=profile,
        data={
            "checked": checked,
            "csr": csr,
            "key_type": key_type,
            "password": password,
            "subject_name": subject_name,
            "dn": names.name_string(subject_name),
            "holder_id": holder_id(subject_name, checked.sans),
        },
    )


def _stored_template(checked: rules.CheckedTemplate, data: dict) -> dict:
    sans: dict[str, list[str]] = {}
    for san_type, value in checked.sans:
        sans.setdefault(san_type, []).append(value)
    return {
        "subject": [{"element": e, "value": v} for e, v in checked.subject],
        "sans": [{"type": t, "value": v} for t, v in sans.items()],
        "keyType": data["key_type"],
        "csr": csr_pem(data["csr"]) if data["csr"] is not None else None,
    }
