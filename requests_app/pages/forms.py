"""Forms of the requester pages. They only lay out and collect: every rule is checked by the
same services as the API (a form turns its data into the API's submission and shows the
services' errors beside the fields they concern)."""

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django import forms
from django.core.validators import RegexValidator

from certificates.pki import names
from certificates.pki.keys import KEY_TYPES
from profiles.models import PasswordMode, Profile, Team
from raportal.errors import DomainError

MAX_UPLOAD = 64 * 1024


class ServiceErrorsMixin:
    """Puts a DomainError's messages beside the fields it names (``fields``: element keys as
    the services name them → form field names), the rest above the form."""

    def field_for(self, key: str) -> str | None:
        return self.error_fields.get(key)

    def apply_domain_error(self, error: DomainError) -> None:
        placed = False
        for key, message in error.fields.items():
            field = self.field_for(key)
            if field and field in self.fields:
                self.add_error(field, f"{message} ({error.code})")
                placed = True
        if not placed:
            self.add_error(None, f"{error.detail} ({error.code})")


def read_csr_upload(upload) -> str:
    """A CSR file, PEM or DER, as PEM text (parsing and checks happen in the services)."""
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise forms.ValidationError("The file is too large for a CSR.")
    if b"-----BEGIN" in raw:
        return raw.decode("ascii", errors="replace")
    try:
        return x509.load_der_x509_csr(raw).public_bytes(Encoding.PEM).decode()
    except ValueError:
        raise forms.ValidationError("This file is neither a PEM nor a DER CSR.") from None


class CertificateDataFields:
    """Labels, owner, team and contact email, per the profile's rules (enroll, update,
    migrate, import)."""

    def add_data_fields(self, profile: Profile, user, current=None) -> None:
        """``current``: a Certificate whose values fill the fields (update)."""
        self.label_fields: list[str] = []
        values = {item["key"]: item["value"] for item in current.labels} if current else {}
        for rule in profile.label_rules.all():
            name = f"label_{rule.label}"
            initial = values.get(rule.label) or rule.value or None
            if rule.enum:
                field = forms.ChoiceField(
                    label=rule.label,
                    required=rule.mandatory,
                    initial=initial,
                    choices=[("", "—")] + [(value, value) for value in rule.enum],
                )
            else:
                field = forms.CharField(
                    label=rule.label, required=rule.mandatory, initial=initial, max_length=256
                )
            field.disabled = not rule.editable_by_requester
            self.fields[name] = field
            self.label_fields.append(name)
            self.error_fields[f"label:{rule.label}"] = name
        owner = current.owner if current else user
        if profile.owner_editable_by_requester:
            self.fields["owner"] = forms.CharField(
                label="Owner (user name)",
                required=profile.owner_mandatory,
                initial=owner.get_username() if owner else "",
                max_length=150,
            )
            self.error_fields["owner"] = "owner"
        team = current.team if current else profile.team_default
        teams = Team.objects.filter(members=user).order_by("name")
        choices = [("", "— none —")] + [(t.name, str(t)) for t in teams]
        if team and team.name not in dict(choices):
            choices.append((team.name, str(team)))
        self.fields["team"] = forms.ChoiceField(
            label="Team",
            required=profile.team_mandatory,
            choices=choices,
            initial=team.name if team else "",
            disabled=not profile.team_editable_by_requester,
            help_text="The team that shares this certificate with you.",
        )
        email = current.contact_email if current else user.email
        self.fields["contact_email"] = forms.EmailField(
            label="Contact email",
            required=profile.contact_email_mandatory,
            initial=email or None,
            disabled=not profile.contact_email_editable_by_requester,
            help_text="Who is warned before the certificate expires.",
        )
        self.error_fields |= {"team": "team", "contactEmail": "contact_email"}

    def data_template(self) -> dict:
        data = self.cleaned_data
        template = {
            "labels": [
                {"label": name.removeprefix("label_"), "value": data.get(name) or ""}
                for name in self.label_fields
            ],
            "team": {"value": data.get("team") or ""},
            "contactEmail": {"value": data.get("contact_email") or ""},
        }
        if "owner" in self.fields:
            template["owner"] = {"value": data.get("owner") or ""}
        return template


class KeyFields:
    """Generate a key (type, PKCS#12 password twice in manual mode) or bring a CSR (paste or
    upload), as the profile allows (enroll, renew); or only the password (recover)."""

    def add_key_fields(self, profile: Profile, *, password_only: bool = False) -> None:
        modes = []
        if profile.centralized or password_only:
            modes.append(("generate", "Generate a key for me (you get a PKCS#12 file)"))
        if profile.decentralized and not password_only:
            modes.append(("csr", "I have a CSR (my key stays with me)"))
        self.fields["key_mode"] = forms.ChoiceField(
            label="Key", choices=modes, initial=modes[0][0], widget=forms.RadioSelect
        )
        if password_only:
            self.fields["key_mode"].widget = forms.HiddenInput()
        if profile.centralized and not password_only:
            self.fields["key_type"] = forms.ChoiceField(
                label="Key type",
                initial=profile.default_key_type,
                required=False,
                choices=[
                    (k, KEY_TYPES[k].label) for k in profile.authorized_key_types if k in KEY_TYPES
                ],
            )
        if (profile.centralized or password_only) and (
            profile.p12_password_mode == PasswordMode.MANUAL
        ):
            policy = profile.effective_password_policy()
            widget = {"render_value": True, "attrs": {"autocomplete": "new-password"}}
            self.fields["password"] = forms.CharField(
                label="PKCS#12 password",
                required=False,
                strip=False,
                widget=forms.PasswordInput(**widget),
                help_text=f"It protects the file with your key: at least "
                f"{policy.min_length} characters, with upper-case, lower-case and digits.",
            )
            self.fields["password2"] = forms.CharField(
                label="PKCS#12 password, again",
                required=False,
                strip=False,
                widget=forms.PasswordInput(**widget),
            )
        if profile.decentralized and not password_only:
            self.fields["csr"] = forms.CharField(
                label="CSR (PEM)",
                required=False,
                widget=forms.Textarea(
                    attrs={"rows": 6, "placeholder": "-----BEGIN CERTIFICATE REQUEST-----"}
                ),
            )
            self.fields["csr_file"] = forms.FileField(
                label="… or a CSR file (PEM or DER)", required=False
            )
        self.error_fields |= {"keyType": "key_type", "csr": "csr", "password": "password"}

    def clean_key(self, cleaned: dict) -> None:
        mode = cleaned.get("key_mode")
        if mode == "csr":
            if cleaned.get("csr_file"):
                try:
                    cleaned["csr"] = read_csr_upload(cleaned["csr_file"])
                except forms.ValidationError as exc:
                    self.add_error("csr_file", exc)
                else:
                    # Browsers never re-send a file: after a preview or an error the CSR
                    # must come back in the text box, or the next submit would lack it.
                    self.data = self.data.copy()
                    self.data[self.add_prefix("csr")] = cleaned["csr"]
            if not cleaned.get("csr"):
                self.add_error("csr", "Paste your CSR, or choose its file.")
        if mode == "generate" and "password" in self.fields:
            if cleaned.get("password") != cleaned.get("password2"):
                self.add_error("password2", "The two passwords differ.")
            elif not cleaned.get("password"):
                self.add_error("password", "Choose the password that will protect your key.")

    def key_submission(self, submission: dict, *, default_key_type: str) -> dict:
        data = self.cleaned_data
        template = submission.setdefault("template", {})
        if data.get("key_mode") == "csr":
            template["csr"] = data["csr"]
        elif "key_type" in self.fields:
            template["keyType"] = data.get("key_type") or default_key_type
        if data.get("key_mode") != "csr" and data.get("password"):
            submission["password"] = {"value": data["password"]}
        return submission


def comment_field() -> forms.CharField:
    return forms.CharField(
        label="Comment for the approver",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EnrollForm(ServiceErrorsMixin, CertificateDataFields, KeyFields, forms.Form):
    """Built from the profile's template: one field per subject element, SAN rows up to each
    type's maximum, labels, owner, team, contact email, the key."""

    def __init__(self, profile: Profile, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile, self.user = profile, user
        self.error_fields: dict[str, str] = {}
        self.subject_fields: list[str] = []
        self.san_groups: list[tuple[object, list[str]]] = []
        self._subject()
        self._sans()
        self.add_data_fields(profile, user)
        self.add_key_fields(profile)
        self.fields["requester_comment"] = comment_field()
        if self._brings_a_csr():
            # With a CSR, names left blank are taken from it (the services decide).
            for name in self.subject_fields + [n for _, group in self.san_groups for n in group]:
                self.fields[name].required = False

    def _brings_a_csr(self) -> bool:
        """The requester chose "I have a CSR", or (without JavaScript, where the default
        "generate" stays ticked) gave a CSR and no password: they mean the CSR."""
        if not self.is_bound or "csr" not in self.fields:
            return False
        mode = self.data.get(self.add_prefix("key_mode"))
        gave_csr = bool((self.data.get(self.add_prefix("csr")) or "").strip()) or bool(
            self.files.get(self.add_prefix("csr_file"))
        )
        if mode != "csr" and gave_csr and not self.data.get(self.add_prefix("password")):
            self.data = self.data.copy()
            self.data[self.add_prefix("key_mode")] = mode = "csr"
        return mode == "csr"

    def _subject(self):
        for rule in self.profile.subject_rules.all():
            dn_type, _ = names.parse_element(rule.element)
            name = f"subject_{rule.element}"
            hint = f"Expected form: {rule.regex}" if rule.regex else ""
            field = forms.CharField(
                label=dn_type.label,
                required=rule.mandatory,
                max_length=dn_type.max_length,
                initial=rule.value or None,
                help_text=hint,
            )
            if rule.regex:
                field.validators.append(
                    RegexValidator(
                        f"^(?:{rule.regex})$",
                        f"{dn_type.label}: this value is not in the form the profile expects "
                        f"({rule.regex}).",
                    )
                )
                field.widget.attrs["pattern"] = rule.regex.removeprefix("^").removesuffix("$")
            if not rule.editable_by_requester:
                field.disabled = True
                field.help_text = "Set by the profile."
            elif rule.mandatory:
                field.widget.attrs["data-names-mandatory"] = "1"
            self.fields[name] = field
            self.subject_fields.append(name)
            self.error_fields[rule.element] = name

    def _sans(self):
        for rule in self.profile.san_rules.all():
            names_of_type = []
            for index in range(rule.max):
                name = f"san_{rule.san_type}_{index}"
                self.fields[name] = forms.CharField(
                    label=f"{names.SAN_LABELS[rule.san_type]} {index + 1}",
                    required=index < rule.min,
                    max_length=1024,
                    disabled=not rule.editable_by_requester,
                )
                if index < rule.min and rule.editable_by_requester:
                    self.fields[name].widget.attrs["data-names-mandatory"] = "1"
                names_of_type.append(name)
            if names_of_type:
                self.san_groups.append((rule, names_of_type))
                self.error_fields[f"san:{rule.san_type}"] = names_of_type[0]

    def clean(self):
        cleaned = super().clean()
        self.clean_key(cleaned)
        return cleaned

    def to_submission(self) -> dict:
        """The API's submission for these answers (webra enroll)."""
        data = self.cleaned_data
        template = {
            "subject": [
                {"element": name.removeprefix("subject_"), "value": data.get(name) or ""}
                for name in self.subject_fields
            ],
            "sans": [
                {"type": rule.san_type, "value": [data[n] for n in group if data.get(n)]}
                for rule, group in self.san_groups
            ],
            **self.data_template(),
        }
        if data.get("key_mode") == "csr":
            # Left blank with a CSR: omitted, so the services take them from the CSR.
            if not any(data.get(n) for n in self.subject_fields if not self.fields[n].disabled):
                del template["subject"]
            if not any(value for entry in template["sans"] for value in entry["value"]):
                del template["sans"]
        submission = {
            "profile": self.profile.name,
            "module": "webra",
            "workflow": "enroll",
            "template": template,
            "requesterComment": data.get("requester_comment") or "",
        }
        return self.key_submission(submission, default_key_type=self.profile.default_key_type)
