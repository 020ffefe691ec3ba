"""The import page's form: a certificate issued elsewhere, with its key (a PKCS#12 file and
its password) when the profile keeps keys, or alone (PEM) when it does not.

A requester never pastes an unencrypted private key into a page: the key arrives in the
PKCS#12 it was exported in, is opened here, in memory, and goes to the same import service
as the API's ``template.privateKey``. Neither the file, its password nor the key is ever
logged, kept, or written back into the page."""

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from django import forms
from django.core.files.uploadedfile import UploadedFile

from certificates.pki.pkcs12 import Pkcs12Error, read_pkcs12
from profiles.access import granted_profiles, profile_level
from profiles.models import Profile, Workflow
from raportal.callers import Principal
from raportal.form_rendering import say_again
from requests_app.pages.forms import ServiceErrorsMixin, comment_field

MAX_UPLOAD = 64 * 1024
NO_PROFILE = "-"  # administrators may import outside any profile (the API omits "profile")
CHOOSE_AGAIN = (
    "For your safety neither the file nor its password is kept: choose the file again and "
    "type its password."
)


def _read(upload: "UploadedFile[bytes]") -> bytes:
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise forms.ValidationError("The file is too large.")
    return raw


def import_profiles(user: Principal) -> list[Profile]:
    granted = granted_profiles(user, Workflow.IMPORT)
    return list(
        Profile.objects.enabled()
        .filter(module="webra", pk__in=granted.values("pk"))
        .order_by("name")
    )


def _profile_choice(profile: Profile) -> tuple[str, str]:
    how = "keys kept: upload the PKCS#12" if profile.escrow else "keys not kept: certificate alone"
    return profile.name, f"{profile} ({how})"


class ImportForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, user: Principal, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [_profile_choice(p) for p in import_profiles(user)]
        if profile_level(user, None, Workflow.IMPORT) is not None:
            choices.append((NO_PROFILE, "— no profile (administrators), certificate alone —"))
        self.fields["profile"] = forms.ChoiceField(label="Profile", choices=choices)
        self.profile_choices = choices  # none: the user may not import
        self.fields["pkcs12_file"] = forms.FileField(
            label="PKCS#12 file (.p12 or .pfx)",
            required=False,
            widget=forms.ClearableFileInput(attrs={"accept": ".p12,.pfx,application/x-pkcs12"}),
        )
        self.fields["pkcs12_password"] = forms.CharField(
            label="Password of the PKCS#12 file",
            required=False,
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "off"}),  # never rendered back
        )
        self.fields["certificate"] = forms.CharField(
            label="Certificate (PEM)",
            required=False,
            widget=forms.Textarea(attrs={"rows": 6, "placeholder": "-----BEGIN CERTIFICATE-----"}),
        )
        self.fields["certificate_file"] = forms.FileField(
            label="… or its file (PEM)", required=False
        )
        self.fields["requester_comment"] = comment_field()
        if self.is_bound and (
            self.files.get(self.add_prefix("pkcs12_file"))
            or self.data.get(self.add_prefix("pkcs12_password"))
        ):
            self.fields["pkcs12_file"].help_text = CHOOSE_AGAIN
            say_again(self.fields["pkcs12_file"], CHOOSE_AGAIN)  # said beside its error too
        self.error_fields = {"privateKey": "pkcs12_file", "certificatePem": "certificate"}
        self.key_pem = ""  # the key the PKCS#12 held, for the services; never in the page
        self.from_pkcs12 = False  # the certificate is the PKCS#12's (its errors go there)

    def field_for(self, key: str) -> str | None:
        if key == "certificatePem" and self.from_pkcs12:
            return "pkcs12_file"
        return super().field_for(key)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # Form.clean returns cleaned_data; None would mean "as it is"
            cleaned = self.cleaned_data
        if cleaned.get("certificate_file"):
            try:
                cleaned["certificate"] = _read(cleaned["certificate_file"]).decode(
                    "ascii", errors="replace"
                )
            except forms.ValidationError as exc:
                self.add_error("certificate_file", exc)
        gave_file = bool(cleaned.get("pkcs12_file"))  # an error on it drops it from cleaned
        if gave_file:
            self._open_pkcs12(cleaned)
        elif cleaned.get("pkcs12_password"):
            self.add_error("pkcs12_file", "Choose the PKCS#12 file this password opens.")
        if not gave_file and not cleaned.get("certificate"):
            self.add_error(
                "certificate",
                "Upload the PKCS#12 file (certificate and key), or give the certificate alone.",
            )
        return cleaned

    def _open_pkcs12(self, cleaned: dict[str, Any]) -> None:
        """The key and certificate of the uploaded PKCS#12 (or its key, beside a certificate
        given alone), each error beside the field to fix."""
        try:
            raw = _read(cleaned["pkcs12_file"])
            key, certificate, _ = read_pkcs12(raw, cleaned.get("pkcs12_password") or "")
        except forms.ValidationError as exc:
            self.add_error("pkcs12_file", exc)
            return
        except Pkcs12Error as exc:
            field = "pkcs12_password" if exc.reason == "password" else "pkcs12_file"
            self.add_error(field, str(exc))
            return
        pasted: str = cleaned.get("certificate") or ""
        if certificate is not None:
            pem = certificate.public_bytes(Encoding.PEM).decode()
            if pasted and _differs(pasted, certificate):
                self.add_error(
                    "certificate",
                    "This is not the certificate in the PKCS#12 file: give one or the other.",
                )
                return
            cleaned["certificate"], self.from_pkcs12 = pem, True
        elif not pasted:
            self.add_error(
                "pkcs12_file", "This file holds no certificate: give the certificate too."
            )
            return
        if key is None:
            return  # the certificate alone, in a PKCS#12: the services say if a key is needed
        if certificate is None and _differs_from_key(pasted, key):
            self.add_error(
                "pkcs12_file", "The key in this file does not belong to the certificate."
            )
            return
        self.key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()

    def to_submission(self) -> dict[str, Any]:
        data = self.cleaned_data
        submission: dict[str, Any] = {
            "module": "webra",
            "workflow": "import",
            "certificatePem": data["certificate"],
            "template": {},
            "requesterComment": data.get("requester_comment") or "",
        }
        if data["profile"] != NO_PROFILE:
            submission["profile"] = data["profile"]
        if self.key_pem and self.keeps_keys(data["profile"]):
            submission["template"]["privateKey"] = self.key_pem
        return submission

    @property
    def key_left_out(self) -> bool:
        """The PKCS#12 held a key the chosen profile does not keep: the certificate alone is
        imported (the API refuses a key there; a page's user cannot take it out of the file)."""
        return bool(self.key_pem) and not self.keeps_keys(self.cleaned_data["profile"])

    @staticmethod
    def keeps_keys(profile_name: str) -> bool:
        return Profile.objects.filter(name=profile_name, escrow=True).exists()


def _differs(pem: str, certificate: x509.Certificate) -> bool:
    """Whether a pasted PEM is another certificate than ``certificate`` (an unreadable one is
    another: the services will say what is wrong with it)."""
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode()) != certificate
    except ValueError:
        return True


def _differs_from_key(pem: str, key: Any) -> bool:
    """Whether a pasted certificate is not the one ``key`` belongs to (unreadable: left to the
    services, which explain it)."""
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode()).public_key() != (
            key.public_key()
        )
    except ValueError:
        return False
