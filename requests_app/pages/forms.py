"""Forms of the requester pages. They only lay out and collect: every rule is checked by the
same services as the API (a form turns its data into the API's submission and shows the
services' errors beside the fields they concern)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import escape, format_html
from django.utils.safestring import SafeData, mark_safe

from certificates.models import Certificate
from certificates.pki import names
from certificates.pki.csr import load_csr
from certificates.pki.keys import KEY_TYPES
from profiles.models import PasswordMode, Profile, SanRule, Team
from raportal.callers import Principal, has_account
from raportal.errors import DomainError
from raportal.form_rendering import say_again
from requests_app.pages import advice
from requests_app.workflows.keys import pkcs12_password_problem

MAX_UPLOAD = 64 * 1024
TOO_LONG = "At most %(limit_value)d characters (you typed %(show_value)d)."
COUNTRY = "Use the two-letter country code, e.g. FR, DE, US."
SAN_PLURALS = {
    "DNSNAME": "DNS names",
    "IPADDRESS": "IP addresses",
    "RFC822NAME": "Email addresses",
    "URI": "URIs",
    "OTHERNAME_UPN": "User principal names (UPN)",
    "OTHERNAME_GUID": "Object GUIDs",
    "REGISTERED_ID": "Registered IDs (OID)",
}


# A secret typed into a page is never written back into one (not after a preview, not beside
# an error): the box comes back empty, saying why.
TYPE_AGAIN = "For your safety a password is never shown back: type it again in both boxes."


def ask_again(form: forms.Form, name: str, hint: str) -> None:
    """When ``form`` comes back with a secret typed into the field ``name``, the field (now
    empty) says to type it again, and why."""
    field = form.fields[name]
    if form.is_bound and form.data.get(form.add_prefix(name)):
        # crispy-forms writes help texts unescaped: the existing one is escaped already.
        field.help_text = " ".join(filter(None, [escape(hint), str(field.help_text)]))
        say_again(field, escape(hint))  # said beside the field's error too


def as_sentence(text: str) -> str:
    """A service's detail ("the PKCS#12 password needs …") as a sentence for a page. Safe
    HTML (a detail with links, DomainError.html) stays safe: only its first letter and a
    final full stop change, neither of which can open a tag."""
    stripped = text.strip()
    if not stripped:
        return stripped
    sentence = (
        stripped[0].upper() + stripped[1:] + ("" if stripped.endswith((".", "!", "?")) else ".")
    )
    return mark_safe(sentence) if isinstance(text, SafeData) else sentence  # noqa: S308


def with_value(data: Mapping[str, Any], key: str, value: str) -> dict[str, Any]:
    """A copy of a form's data with ``key`` set to ``value`` (a page's request.POST, a
    QueryDict, is immutable: its copy is not)."""
    copy = data.copy() if isinstance(data, dict) else dict(data)
    copy[key] = value
    return copy


class ServerLengthMixin(forms.CharField):
    """The length limit is checked here, with a message: never by an HTML ``maxlength``,
    which makes a browser cut pasted text silently (a CN of 70 characters would become
    another name of 64 without the requester noticing)."""

    default_error_messages = {"max_length": TOO_LONG}

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class TextField(ServerLengthMixin, forms.CharField):
    pass


class EmailField(ServerLengthMixin, forms.EmailField):
    pass


class SubjectField(TextField):
    """One subject element: blanks collapsed as the services will (so the length counted is
    the encoded one), then length (RFC 5280 Appendix A upper bounds), country code and the
    profile's expression, one message at a time, in words."""

    def __init__(self, dn_type: names.DnType, regex: str = "", **kwargs: Any):
        self.dn_type, self.regex = dn_type, regex
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str | None:
        value = super().to_python(value)
        return " ".join(value.split()) if value else value

    def validate(self, value: Any) -> None:
        super().validate(value)
        if not value:
            return
        if self.dn_type.name == "c" and not re.fullmatch(r"[A-Z]{2}", value):
            raise forms.ValidationError(COUNTRY, code="country")  # ISO 3166 (RFC 5280 App. A)
        if len(value) > self.dn_type.max_length:
            raise forms.ValidationError(
                TOO_LONG,
                code="max_length",
                params={"limit_value": self.dn_type.max_length, "show_value": len(value)},
            )
        if self.regex and re.fullmatch(self.regex, value) is None:
            raise forms.ValidationError(
                "This value is not in the form the profile expects (%(regex)s).",
                code="regex",
                params={"regex": self.regex},
            )


class SanField(TextField):
    """One SAN value. The services check the syntax; this only catches what a requester
    commonly types instead of a DNS name (a URL, a name with accents) to explain it."""

    def __init__(self, san_type: str, **kwargs: Any):
        self.san_type = san_type
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and self.san_type == "DNSNAME":
            problem = advice.dns_value_error(value)
            if problem:
                raise forms.ValidationError(problem, code="dns")


@dataclass
class SanGroup:
    """The rows of one SAN type, shown in one fieldset."""

    rule: SanRule
    fields: list[str]

    @property
    def legend(self) -> str:
        rule = self.rule
        one = names.SAN_LABELS.get(rule.san_type, rule.san_type)
        many = SAN_PLURALS.get(rule.san_type, one)
        if not rule.editable_by_requester:
            return f"{many if rule.max > 1 else one} (set by the profile)"
        if rule.max == 1:
            return f"{one} ({'required' if rule.min else 'optional'})"
        if rule.min == rule.max:
            return f"{many} (exactly {rule.max})"
        if rule.min:
            return f"{many} (at least {rule.min}, up to {rule.max})"
        return f"{many} (up to {rule.max})"


class ServiceErrorsMixin(forms.Form):
    """Puts a DomainError's messages beside the fields it names (``error_fields``: element
    keys as the services name them → form field names), the rest above the form."""

    error_fields: dict[str, str]  # set by the form's __init__

    def field_for(self, key: str) -> str | None:
        return self.error_fields.get(key)

    def apply_domain_error(self, error: DomainError) -> None:
        """Each message beside its field; those about an element the form has no field for
        above the form (none is dropped)."""
        if not error.fields:
            self.add_error(None, format_html("{} ({})", error.html or error.detail, error.code))
        for key, message in error.fields.items():
            field = self.field_for(key)
            if field in self.fields:
                self.add_error(field, f"{message} ({error.code})")
            else:
                self.add_error(None, f"{self.unplaced(message)} ({error.code})")

    def unplaced(self, message: str) -> str:
        """A message about an element the form shows no (filled) field for."""
        return message


def read_csr_upload(upload: "UploadedFile[bytes]") -> str:
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


class CertificateDataFields(forms.Form):
    """Labels, owner, team and contact email, per the profile's rules (enroll, update,
    migrate, import)."""

    error_fields: dict[str, str]  # set by the form's __init__

    def add_data_fields(
        self, profile: Profile, user: Principal, current: Certificate | None = None
    ) -> None:
        """``current``: a Certificate whose values fill the fields (update)."""
        if not has_account(user):  # the pages asking for these are for accounts only
            raise PermissionDenied("only an account sets a certificate's owner and team")
        self.label_fields: list[str] = []
        values = {item["key"]: item["value"] for item in current.labels} if current else {}
        for rule in profile.label_rules.all():
            name = f"label_{rule.label}"
            initial = values.get(rule.label) or rule.value or None
            field: forms.Field
            if rule.enum:
                field = forms.ChoiceField(
                    label=rule.label,
                    required=rule.mandatory,
                    initial=initial,
                    choices=[("", "—")] + [(value, value) for value in rule.enum],
                )
            else:
                field = TextField(
                    label=rule.label, required=rule.mandatory, initial=initial, max_length=256
                )
            field.disabled = not rule.editable_by_requester
            self.fields[name] = field
            self.label_fields.append(name)
            self.error_fields[f"label:{rule.label}"] = name
        owner = current.owner if current else user
        if profile.owner_editable_by_requester:
            self.fields["owner"] = TextField(
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
        self.fields["contact_email"] = EmailField(
            label="Contact email",
            required=profile.contact_email_mandatory,
            initial=email or None,
            disabled=not profile.contact_email_editable_by_requester,
            help_text="Who is warned before the certificate expires.",
        )
        self.error_fields |= {"team": "team", "contactEmail": "contact_email"}

    def data_template(self) -> dict[str, Any]:
        """What the requester may set. A field the profile fixes (shown disabled) is left
        out: the services keep its current value (the profile's default, or the
        certificate's) instead of reading it as the requester's choice."""
        data = self.cleaned_data
        template: dict[str, Any] = {
            "labels": [
                {"label": name.removeprefix("label_"), "value": data.get(name) or ""}
                for name in self.label_fields
                if not self.fields[name].disabled
            ],
        }
        if not self.fields["team"].disabled:
            template["team"] = {"value": data.get("team") or ""}
        if not self.fields["contact_email"].disabled:
            template["contactEmail"] = {"value": data.get("contact_email") or ""}
        if "owner" in self.fields:
            template["owner"] = {"value": data.get("owner") or ""}
        return template


class KeyFields(forms.Form):
    """Generate a key (type, PKCS#12 password twice in manual mode) or bring a CSR (paste or
    upload), as the profile allows (enroll, renew); or only the password (recover)."""

    error_fields: dict[str, str]  # set by the form's __init__

    def add_key_fields(self, profile: Profile, *, password_only: bool = False) -> None:
        self.key_profile = profile
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
            attrs = {"autocomplete": "new-password"}  # never rendered back
            self.fields["password"] = forms.CharField(
                label="PKCS#12 password",
                required=False,
                strip=False,
                widget=forms.PasswordInput(attrs=attrs),
                # crispy-forms writes help texts unescaped: the policy's characters are data.
                help_text=escape(
                    "It protects the file with your key. " + advice.password_policy_text(policy)
                ),
            )
            self.fields["password2"] = forms.CharField(
                label="PKCS#12 password, again",
                required=False,
                strip=False,
                widget=forms.PasswordInput(attrs=attrs),
            )
            ask_again(self, "password", TYPE_AGAIN)
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

    def clean_key(self, cleaned: dict[str, Any]) -> None:
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
                    self.data = with_value(self.data, self.add_prefix("csr"), cleaned["csr"])
            if not cleaned.get("csr"):
                self.add_error("csr", "Paste your CSR, or choose its file.")
        if mode == "generate" and "password" in self.fields:
            password = cleaned.get("password") or ""
            if not password:
                self.add_error("password", "Choose the password that will protect your key.")
                return
            # The rule it breaks, in the services' own words (the API says the same), and,
            # apart, whether the second box repeats it: two mistakes, two messages.
            problem = pkcs12_password_problem(self.key_profile, password)
            if problem:
                self.add_error("password", as_sentence(problem))
            if cleaned.get("password2") != password:
                self.add_error("password2", "The two passwords differ.")

    def key_submission(
        self, submission: dict[str, Any], *, default_key_type: str
    ) -> dict[str, Any]:
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
    return TextField(
        label="Comment for the approver",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EnrollForm(ServiceErrorsMixin, CertificateDataFields, KeyFields, forms.Form):
    """Built from the profile's template: one field per subject element, SAN rows up to each
    type's maximum, labels, owner, team, contact email, the key."""

    def __init__(self, profile: Profile, user: Principal, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.profile, self.user = profile, user
        self.error_fields: dict[str, str] = {}
        self.subject_fields: list[str] = []
        self.san_groups: list[SanGroup] = []
        self._subject()
        self._sans()
        self.add_data_fields(profile, user)
        self.add_key_fields(profile)
        self.fields["requester_comment"] = comment_field()
        if "csr" in self.fields:
            # The browser must not demand a name a CSR may bring: without JavaScript nothing
            # would lift it (portal.js sets it back while "generate" is chosen); the server
            # still requires it when no CSR is given.
            for field in self.fields.values():
                if "data-names-mandatory" in field.widget.attrs:
                    field.widget.use_required_attribute = lambda initial: False
        if self._brings_a_csr():
            # With a CSR, names left blank are taken from it (the services decide).
            for name in self.subject_fields + [n for g in self.san_groups for n in g.fields]:
                self.fields[name].required = False

    def field_for(self, key: str) -> str | None:
        """With a CSR, an error about a name left blank in the form is about the CSR's: it
        goes above the form, not on the empty field."""
        field = super().field_for(key)
        blank = field and not (self.data.get(self.add_prefix(field)) or "").strip()
        return None if blank and self._brings_a_csr() else field

    def unplaced(self, message: str) -> str:
        return f"In your CSR: {message}" if self._brings_a_csr() else message

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
            self.data = with_value(self.data, self.add_prefix("key_mode"), "csr")
            mode = "csr"
        return mode == "csr"

    def _subject(self) -> None:
        for rule in self.profile.subject_rules.all():
            dn_type, _ = names.parse_element(rule.element)
            name = f"subject_{rule.element}"
            field = SubjectField(
                dn_type,
                rule.regex,
                label=dn_type.label,
                required=rule.mandatory,
                initial=rule.value or None,
                help_text=escape(self._subject_hint(dn_type, rule.regex)),
            )
            if rule.regex:
                # Checked by the browser too, before sending (a hint, not a limit: the
                # server says the same in words).
                field.widget.attrs["pattern"] = rule.regex.removeprefix("^").removesuffix("$")
            if not rule.editable_by_requester:
                field.disabled = True
                field.help_text = "Set by the profile."
            elif rule.mandatory:
                field.widget.attrs["data-names-mandatory"] = "1"
            self.fields[name] = field
            self.subject_fields.append(name)
            self.error_fields[rule.element] = name

    @staticmethod
    def _subject_hint(dn_type: names.DnType, regex: str) -> str:
        if dn_type.name != "c":
            return f"Expected form: {regex}" if regex else ""
        if regex and regex.removeprefix("^").removesuffix("$") != "[A-Z]{2}":
            return f"{COUNTRY} This profile expects: {regex}"
        return COUNTRY

    def _sans(self) -> None:
        for rule in self.profile.san_rules.all():
            names_of_type = []
            for index in range(rule.max):
                name = f"san_{rule.san_type}_{index}"
                self.fields[name] = SanField(
                    rule.san_type,
                    label=f"{names.SAN_LABELS[rule.san_type]} {index + 1}",
                    required=index < rule.min,
                    max_length=1024,
                    disabled=not rule.editable_by_requester,
                )
                if index < rule.min and rule.editable_by_requester:
                    self.fields[name].widget.attrs["data-names-mandatory"] = "1"
                names_of_type.append(name)
            if names_of_type:
                self.san_groups.append(SanGroup(rule, names_of_type))
                self.error_fields[f"san:{rule.san_type}"] = names_of_type[0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # Form.clean returns cleaned_data; None would mean "as it is"
            cleaned = self.cleaned_data
        self.clean_key(cleaned)
        return cleaned

    # --- what the requester typed, and what the certificate will say ----------------------

    def _typed_subject(self) -> dict[str, str]:
        """Subject elements the requester may set and filled: element → value."""
        data = self.cleaned_data
        return {
            name.removeprefix("subject_"): data[name]
            for name in self.subject_fields
            if not self.fields[name].disabled and data.get(name)
        }

    def _typed_sans(self) -> dict[str, list[str]]:
        """SANs of the types the requester may set: type → values filled."""
        data = self.cleaned_data
        return {
            group.rule.san_type: [data[n] for n in group.fields if data.get(n)]
            for group in self.san_groups
            if group.rule.editable_by_requester
        }

    def to_submission(self) -> dict[str, Any]:
        """The API's submission for these answers (webra enroll). Elements the profile fixes
        (disabled fields) are not sent: the services apply the profile's value."""
        data = self.cleaned_data
        template: dict[str, Any] = {
            "subject": [
                {"element": name.removeprefix("subject_"), "value": data.get(name) or ""}
                for name in self.subject_fields
                if not self.fields[name].disabled
            ],
            "sans": [
                {"type": san_type, "value": values}
                for san_type, values in self._typed_sans().items()
            ],
            **self.data_template(),
        }
        if data.get("key_mode") == "csr":
            # Left blank with a CSR: omitted, so the services take them from the CSR.
            if not self._typed_subject():
                del template["subject"]
            if not any(self._typed_sans().values()):
                del template["sans"]
        submission = {
            "profile": self.profile.name,
            "module": "webra",
            "workflow": "enroll",
            "template": template,
            "requesterComment": data.get("requester_comment") or "",
        }
        return self.key_submission(submission, default_key_type=self.profile.default_key_type)

    def _csr(self) -> x509.CertificateSigningRequest | None:
        if self.cleaned_data.get("key_mode") != "csr" or not self.cleaned_data.get("csr"):
            return None
        try:
            return load_csr(self.cleaned_data["csr"])
        except ValueError:
            return None  # the services say what is wrong with it

    def _csr_names(
        self, csr: x509.CertificateSigningRequest
    ) -> tuple[dict[str, str], dict[str, list[str]]]:
        """What the CSR asks for, limited to what the requester may set (the services never
        take the rest from a CSR)."""
        editable = {
            name.removeprefix("subject_")
            for name in self.subject_fields
            if not self.fields[name].disabled
        }
        subject = {e: v for e, v in names.name_to_elements(csr.subject) if e in editable}
        types = {g.rule.san_type for g in self.san_groups if g.rule.editable_by_requester}
        sans: dict[str, list[str]] = {}
        try:
            found = names.sans_of(csr.extensions)
        except ValueError:
            found = []
        for san_type, value in found:
            if san_type in types:
                sans.setdefault(san_type, []).append(value)
        return subject, sans

    @cached_property
    def warnings(self) -> list[dict[str, Any]]:
        """Non-blocking advice on the certificate to be, once the answers are read: each
        ``{"text": …}``, with ``"add_dns"`` when a button may offer to add that DNS name."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return []
        typed_subject, typed_sans = self._typed_subject(), self._typed_sans()
        fixed = {
            name.removeprefix("subject_"): self.cleaned_data.get(name) or ""
            for name in self.subject_fields
            if self.fields[name].disabled
        }
        subject, sans = typed_subject, typed_sans
        notes: list[dict[str, Any]] = []
        csr = self._csr()
        if csr is not None:
            csr_subject, csr_sans = self._csr_names(csr)
            notes += [
                {"text": text}
                for text in advice.csr_conflicts(typed_subject, typed_sans, csr_subject, csr_sans)
            ]
            # As the services do: the CSR's names only where the form gives none.
            subject = typed_subject or csr_subject
            sans = typed_sans if any(typed_sans.values()) else csr_sans
        # Typing one SAN in the form would drop those the CSR asks for: no quick "add" then.
        can_add = any(typed_sans.values()) or not any(sans.values())
        dns_rule = next((g.rule for g in self.san_groups if g.rule.san_type == "DNSNAME"), None)
        dns_allowed = bool(dns_rule and dns_rule.editable_by_requester)
        for element, value in ({**fixed, **subject}).items():
            if element.startswith("cn.") and value:
                text = advice.cn_not_in_dns_names(
                    value, sans.get("DNSNAME", []), dns_allowed=dns_allowed
                )
                if text:
                    add = advice.host_name(value) if can_add else None
                    notes.append({"text": text, "add_dns": add})
        notes += [{"text": text} for text in advice.single_label_names(sans.get("DNSNAME", []))]
        return notes
