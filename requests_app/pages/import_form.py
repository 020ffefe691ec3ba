"""The import page's form: a certificate issued elsewhere, its key when the profile escrows."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from profiles.access import granted_profiles, profile_level
from profiles.models import Profile, Workflow
from raportal.callers import Principal
from requests_app.pages.forms import SecretTextarea, ServiceErrorsMixin, ask_again, comment_field

MAX_UPLOAD = 64 * 1024
NO_PROFILE = "-"  # administrators may import outside any profile (the API omits "profile")


def _read(upload: "UploadedFile[bytes]") -> str:
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise forms.ValidationError("The file is too large.")
    return raw.decode("ascii", errors="replace")


def import_profiles(user: Principal) -> list[Profile]:
    granted = granted_profiles(user, Workflow.IMPORT)
    return list(
        Profile.objects.enabled()
        .filter(module="webra", pk__in=granted.values("pk"))
        .order_by("name")
    )


class ImportForm(ServiceErrorsMixin, forms.Form):
    def __init__(self, user: Principal, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [
            (p.name, f"{p} (keys {'escrowed' if p.escrow else 'not kept'})")
            for p in import_profiles(user)
        ]
        if profile_level(user, None, Workflow.IMPORT) is not None:
            choices.append((NO_PROFILE, "— no profile (administrators) —"))
        self.fields["profile"] = forms.ChoiceField(label="Profile", choices=choices)
        self.profile_choices = choices  # none: the user may not import
        self.fields["certificate"] = forms.CharField(
            label="Certificate (PEM)",
            required=False,
            widget=forms.Textarea(attrs={"rows": 6, "placeholder": "-----BEGIN CERTIFICATE-----"}),
        )
        self.fields["certificate_file"] = forms.FileField(
            label="… or its file (PEM)", required=False
        )
        self.fields["private_key"] = forms.CharField(
            label="Private key (PEM, unencrypted)",
            required=False,
            strip=False,
            widget=SecretTextarea(attrs={"rows": 4, "autocomplete": "off"}),
            help_text="Required when the profile escrows keys, refused otherwise.",
        )
        ask_again(self, "private_key", "For your safety a key is never shown back: paste it again.")
        self.fields["private_key_file"] = forms.FileField(
            label="… or the key's file (PEM)", required=False
        )
        self.fields["requester_comment"] = comment_field()
        self.error_fields = {"privateKey": "private_key", "certificatePem": "certificate"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # Form.clean returns cleaned_data; None would mean "as it is"
            cleaned = self.cleaned_data
        if cleaned.get("certificate_file"):
            try:
                cleaned["certificate"] = _read(cleaned["certificate_file"])
            except forms.ValidationError as exc:
                self.add_error("certificate_file", exc)
        if cleaned.get("private_key_file"):
            try:
                cleaned["private_key"] = _read(cleaned["private_key_file"])
            except forms.ValidationError as exc:
                self.add_error("private_key_file", exc)
        if not cleaned.get("certificate"):
            self.add_error("certificate", "Paste the certificate, or choose its file.")
        return cleaned

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
        if data.get("private_key"):
            submission["template"]["privateKey"] = data["private_key"]
        return submission
