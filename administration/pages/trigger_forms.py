"""The trigger pages' forms: an email trigger (Horizon's EmailNotification) or a REST trigger
of one call (Horizon's REST), each turned into the camelCase dict that
``administration.services.triggers`` takes — the same dict the admin API reads — and built
back from ``trigger_json`` to edit a saved trigger.

Header values whose name says they are secret (``Authorization``, ``X-API-Key``…) are never
written into a page: the form shows ``********`` instead, and a line left so keeps the stored
value of the header of that name in that call. A REST trigger saved through the API with
several calls keeps its later calls as they are (the form edits the first)."""

from typing import Any

from django import forms
from django.core.validators import EmailValidator

from raportal.durations import parse_duration
from triggers import definition
from triggers.definition import EMAIL_FLAGS, MASK, MAX_RETRIES, METHODS, is_secret_header
from triggers.events import EXPIRE, PERIODIC_EVENTS, PROFILE_EVENTS, TEST, WORKFLOWS
from triggers.models import Trigger, TriggerType
from triggers.profile_triggers import profiles_naming

STEP_WORDS = {
    "": "carried out (issued, revoked, recovered…), at once or on approval",
    "submit_": "submitted and waiting for a decision",
    "approve_": "approved",
    "deny_": "denied",
    "cancel_": "withdrawn by the requester",
    "pending_": "still pending, every runPeriod",
}


def event_label(event: str) -> str:
    """``on_submit_enroll`` → ``on_submit_enroll — enroll: submitted and waiting…``."""
    if event == EXPIRE:
        return f"{EXPIRE} — a certificate expires within runPeriod"
    if event == TEST:
        return f"{TEST} — tests only"
    for step, words in STEP_WORDS.items():
        for workflow in WORKFLOWS:
            if event == f"on_{step}{workflow}":
                return f"{event} — {workflow}: {words}"
    return event


EVENT_CHOICES = [(event, event_label(event)) for event in PROFILE_EVENTS]

RECIPIENT_TYPES = [
    ("static", "An address (type it)"),
    ("requester", "The requester"),
    ("approver", "The approver"),
    ("contact", "The contact email of the request or certificate"),
    ("certificate_owner", "The certificate's owner"),
    ("team_contact", "The team's contact address"),
    ("team_manager", "The team's managers"),
    ("label", "The address a label holds (type the label's name)"),
    ("certificate_rfc822name", "The certificate's email SANs"),
    ("lifecycle_operators", "Who may decide on the profile's requests"),
]

ATTACHMENTS = [
    ("attachPemCertificate", "The certificate (PEM)"),
    ("attachPemBundle", "The certificate and its chain (PEM bundle)"),
    ("attachDerCertificate", "The certificate (DER)"),
    ("attachPkcs7", "The certificate (PKCS#7)"),
    ("attachPkcs7Bundle", "The certificate and its chain (PKCS#7)"),
]
IF_PKCS12 = [
    ("", "Always"),
    ("true", "Only when the request has a PKCS#12 (a centralized enrollment)"),
    ("false", "Only when it has none"),
]
RUN_ON_RENEWED = [
    ("", "Not set (on_expire: no)"),
    ("true", "Yes: even when the certificate was renewed"),
    ("false", "No: not once the certificate was renewed"),
]
PAYLOAD_TYPES = [("json", "JSON"), ("xml", "XML"), ("text", "Text")]
TRISTATE = {"": None, "true": True, "false": False}


def _tristate(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _duration(value: str) -> str:
    """A Horizon duration as typed ("30 days", "10 seconds"), checked by the one parser."""
    if value:
        try:
            parse_duration(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
    return value


class MaskedHeaders(forms.Textarea):
    """``Name: value`` lines, each secret-looking value shown as the mask: a value typed
    into the page is never written back into it (not even beside an error)."""

    def format_value(self, value):
        lines = []
        for line in str(value or "").splitlines():
            name, colon, rest = line.partition(":")
            if colon and is_secret_header(name.strip()) and rest.strip():
                line = f"{name.strip()}: {MASK}"
            lines.append(line)
        return "\n".join(lines)


class TriggerForm(forms.Form):
    """What every trigger has."""

    kind: str = ""

    name = forms.CharField(
        max_length=100,
        help_text="How profiles name it (the profile editor's Triggers section). It cannot "
        "change once saved.",
    )
    event = forms.ChoiceField(
        choices=EVENT_CHOICES,
        help_text="A trigger runs on one event; profiles list it under that event only.",
    )
    retries = forms.IntegerField(
        min_value=0,
        max_value=MAX_RETRIES,
        initial=3,
        help_text="Further attempts after a failure, each waiting twice as long as the one "
        "before; then the run stays failed and can be run again by hand.",
    )
    run_period = forms.CharField(
        label="Run period",
        required=False,
        max_length=32,
        help_text="on_expire: how long before the certificate's end ('30 days'); "
        "on_pending_*: how often while the request waits ('1 day'). Empty for other events.",
    )
    run_on_renewed = forms.ChoiceField(
        label="Run on renewed certificates",
        choices=RUN_ON_RENEWED,
        required=False,
        help_text="on_expire only.",
    )

    def __init__(self, *args, trigger: Trigger | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.trigger = trigger
        if trigger is not None:
            self.fields["name"].disabled = True
            if trigger.event not in PROFILE_EVENTS:  # on_test, saved through the API
                event_field = self.fields["event"]
                assert isinstance(event_field, forms.ChoiceField)
                event_field.choices = [*EVENT_CHOICES, (trigger.event, event_label(trigger.event))]
            if profiles_naming(trigger.name):
                self.fields["event"].disabled = True
                self.fields["event"].help_text = (
                    "Profiles list this trigger under this event: remove it from them to "
                    "change its event."
                )

    def clean_run_period(self):
        value = (self.cleaned_data.get("run_period") or "").strip()
        return _duration(value)

    def clean(self):
        data = super().clean() or {}
        event = data.get("event")
        if event in PERIODIC_EVENTS and not data.get("run_period") and "run_period" in data:
            self.add_error("run_period", f"{event} needs a run period, for example '30 days'.")
        if event and event not in PERIODIC_EVENTS and data.get("run_period"):
            self.add_error("run_period", "Only on_expire and on_pending_* events have one.")
        if event and event != EXPIRE and data.get("run_on_renewed"):
            self.add_error("run_on_renewed", "Only on_expire triggers have this setting.")
        return data

    def common(self) -> dict[str, Any]:
        data = self.cleaned_data
        body: dict[str, Any] = {
            "name": data["name"],
            "type": self.kind,
            "events": [data["event"]],
            "retries": data["retries"],
        }
        if data.get("run_period"):
            body["runPeriod"] = data["run_period"]
        run_on_renewed = TRISTATE.get(data.get("run_on_renewed") or "")
        if run_on_renewed is not None:
            body["runOnRenewed"] = run_on_renewed
        return body

    @staticmethod
    def common_initial(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": body["name"],
            "event": (body.get("events") or [""])[0],
            "retries": body.get("retries"),
            "run_period": body.get("runPeriod") or "",
            "run_on_renewed": _tristate(body.get("runOnRenewed")),
        }


# --- email ---------------------------------------------------------------------------------


class RecipientForm(forms.Form):
    type = forms.ChoiceField(
        label="Recipient", choices=[("", "— (none)"), *RECIPIENT_TYPES], required=False
    )
    value = forms.CharField(
        label="Address or label",
        required=False,
        max_length=254,
    )

    def clean(self):
        data = super().clean() or {}
        kind, value = data.get("type"), (data.get("value") or "").strip()
        if kind == "static":
            try:
                EmailValidator()(value)
            except forms.ValidationError:
                self.add_error("value", "Type the email address to send to.")
        elif kind == "label" and not value:
            self.add_error("value", "Type the name of the label that holds the address.")
        data["value"] = value
        return data

    def recipient(self) -> dict[str, str] | None:
        data = self.cleaned_data
        if not data.get("type"):
            return None
        found = {"type": data["type"]}
        if data["type"] == "static":
            found["email"] = data["value"]
        elif data["type"] == "label":
            found["label"] = data["value"]
        return found


class BaseRecipients(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any((form.cleaned_data or {}).get("type") for form in self.forms):
            raise forms.ValidationError("Choose at least one recipient.")


Recipients = forms.formset_factory(
    RecipientForm, formset=BaseRecipients, extra=2, max_num=20, validate_max=True
)


def recipients_initial(body: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for recipient in (body.get("emailTemplate") or {}).get("to") or []:
        kind = recipient.get("type") or ""
        out.append({"type": kind, "value": recipient.get("email") or recipient.get("label") or ""})
    return out


class EmailTriggerForm(TriggerForm):
    kind = TriggerType.EMAIL

    sender = forms.CharField(
        label="From (sender's name)",
        max_length=100,
        initial="RA Portal",
        help_text="The name mails show; the address stays the portal's own.",
    )
    title = forms.CharField(label="Subject", max_length=250)
    body = forms.CharField(label="Body", required=False, widget=forms.Textarea(attrs={"rows": 8}))
    is_html = forms.BooleanField(
        label="The body is HTML", required=False, help_text="Values are HTML-escaped then."
    )
    attachments = forms.MultipleChoiceField(
        label="Attach",
        choices=ATTACHMENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="When the event has a certificate. Never a PKCS#12: keys are handed over "
        "on the request's page only.",
    )
    if_pkcs12 = forms.ChoiceField(
        label="On enrollments, send",
        choices=IF_PKCS12,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("title", "body"):
            self.fields[name].widget.attrs["spellcheck"] = "false"

    def horizon(self, recipients: list[dict[str, str]]) -> dict[str, Any]:
        data = self.cleaned_data
        body = self.common()
        body["emailTemplate"] = {
            "to": recipients,
            "from": data["sender"],
            "title": data["title"],
            "body": data["body"],
            "isHtml": bool(data["is_html"]),
        }
        for flag in EMAIL_FLAGS:
            if flag != "ifPkcs12":
                body[flag] = flag in data["attachments"]
        if_pkcs12 = TRISTATE.get(data.get("if_pkcs12") or "")
        if if_pkcs12 is not None:
            body["ifPkcs12"] = if_pkcs12
        return body

    @classmethod
    def initial_of(cls, body: dict[str, Any]) -> dict[str, Any]:
        template = body.get("emailTemplate") or {}
        return {
            **cls.common_initial(body),
            "sender": template.get("from") or "",
            "title": template.get("title") or "",
            "body": template.get("body") or "",
            "is_html": bool(template.get("isHtml")),
            "attachments": [flag for flag, _ in ATTACHMENTS if body.get(flag)],
            "if_pkcs12": _tristate(body.get("ifPkcs12")),
        }


# --- REST ----------------------------------------------------------------------------------


def parse_headers(text: str) -> list[tuple[str, str]]:
    """``Name: value`` lines (empty lines skipped); a ValidationError naming a bad line."""
    headers = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not name or any(c in name for c in " \t\r\n"):
            raise forms.ValidationError(
                f"Line {number}: write each header as “Name: value” (no space in the name)."
            )
        headers.append((name, value.strip()))
    return headers


def headers_text(headers: list[dict[str, str]]) -> str:
    """The form's lines of ``trigger_json``'s (already masked) headers."""
    return "\n".join(f"{h['name']}: {h.get('value') or ''}" for h in headers)


class RestTriggerForm(TriggerForm):
    kind = TriggerType.REST

    method = forms.ChoiceField(choices=[(m, m) for m in sorted(METHODS)], initial="POST")
    url = forms.CharField(
        label="URL",
        max_length=2000,
        help_text="http:// or https://. Private, loopback and link-local addresses are "
        "refused unless RAPORTAL_WEBHOOK_ALLOWED_NETWORKS allows them. Placeholders are "
        "percent-encoded.",
    )
    headers = forms.CharField(
        required=False,
        widget=MaskedHeaders(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=f"One “Name: value” per line. Values of headers whose name contains "
        f"{', '.join(definition.SECRET_HEADER_WORDS)} are kept sealed and shown as {MASK}: "
        "leave it to keep the saved value, or type a new one (after an error, type it again: "
        "it is not written back into the page). X-RAPortal-Signature is added to every call.",
    )
    payload_type = forms.ChoiceField(label="Payload type", choices=PAYLOAD_TYPES, initial="json")
    payload = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="The body sent. In JSON, placeholders are escaped as string content: write "
        '"dn": "{{request.dn}}".',
    )
    expected_codes = forms.CharField(
        label="Expected status codes",
        required=False,
        initial="200, 201, 202, 204",
        help_text="Comma-separated; any other answer fails the attempt.",
    )
    timeout = forms.CharField(
        required=False, initial="10 seconds", help_text="For example '10 seconds'."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.later_calls: list[dict[str, Any]] = []
        if self.trigger is not None:
            steps = list(self.trigger.definition.get("sequence") or [])
            if len(steps) > 1:
                self.later_calls = steps[1:]

    def clean_headers(self):
        return parse_headers(self.cleaned_data.get("headers") or "")

    def clean_expected_codes(self):
        text = self.cleaned_data.get("expected_codes") or ""
        codes = []
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            if not part.strip().isdigit() or not 100 <= int(part) <= 599:
                raise forms.ValidationError(f"“{part.strip()[:20]}” is not an HTTP status code.")
            codes.append(int(part))
        return codes

    def clean_timeout(self):
        value = (self.cleaned_data.get("timeout") or "").strip()
        return _duration(value)

    def clean(self):
        data = super().clean()
        if self.errors or self.trigger is None:
            if self.trigger is None and any(v == MASK for _, v in data.get("headers") or []):
                self.add_error("headers", f"Type the values: {MASK} keeps a saved value only.")
            return data
        try:
            data["headers"] = self._unmasked(data.get("headers") or [])
        except forms.ValidationError as error:
            self.add_error("headers", error)
        return data

    def _stored_calls(self) -> list[list[tuple[str, str]]]:
        """The saved trigger's headers, per call, with their values (unsealed here only)."""
        assert self.trigger is not None
        values = iter(self.trigger.header_values())
        return [
            [(h["name"], next(values, "")) for h in step.get("headers") or []]
            for step in self.trigger.definition.get("sequence") or []
        ]

    def _unmasked(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A masked value gets the stored value of the header of that name in the first call
        (by name, not by position: lines may have been moved, added or removed)."""
        stored = self._stored_calls()
        first = list(stored[0]) if stored else []
        out = []
        for name, value in headers:
            if value == MASK:
                match = next(
                    (i for i, (n, _) in enumerate(first) if n.lower() == name.lower()), None
                )
                if match is None:
                    raise forms.ValidationError(
                        f"{name}: no saved value to keep under this name; type its value."
                    )
                value = first.pop(match)[1]
            out.append((name, value))
        return out

    def horizon(self) -> dict[str, Any]:
        data = self.cleaned_data
        body = self.common()
        step: dict[str, Any] = {
            "method": data["method"],
            "url": data["url"].strip(),
            "headers": [{"name": n, "value": v} for n, v in data["headers"]],
            "payloadType": data["payload_type"],
            "payload": data["payload"],
        }
        if data["expected_codes"]:
            step["expectedHttpCodes"] = data["expected_codes"]
        if data["timeout"]:
            step["timeout"] = data["timeout"]
        sequence = [step]
        if self.later_calls:  # kept as saved, their header values unsealed
            stored = self._stored_calls()
            for number, later in enumerate(self.later_calls, start=1):
                kept = {k: v for k, v in later.items() if k != "headers"}
                kept["headers"] = [{"name": n, "value": v} for n, v in stored[number]]
                sequence.append(kept)
        body["sequence"] = sequence
        return body

    @classmethod
    def initial_of(cls, body: dict[str, Any]) -> dict[str, Any]:
        step = (body.get("sequence") or [{}])[0]
        return {
            **cls.common_initial(body),
            "method": step.get("method") or "POST",
            "url": step.get("url") or "",
            "headers": headers_text(step.get("headers") or []),
            "payload_type": step.get("payloadType") or "json",
            "payload": step.get("payload") or "",
            "expected_codes": ", ".join(str(c) for c in step.get("expectedHttpCodes") or []),
            "timeout": step.get("timeout") or "",
        }


FORMS: dict[str, type[EmailTriggerForm] | type[RestTriggerForm]] = {
    TriggerType.EMAIL: EmailTriggerForm,
    TriggerType.REST: RestTriggerForm,
}

# The dictionary's keys the form's help lists (requests_app/trigger_events.py and
# certificates/trigger_dictionary.py build them; a test keeps the lists in step).
PLACEHOLDERS = {
    "request": [
        f"request.{key}"
        for key in (
            "id",
            "module",
            "workflow",
            "status",
            "profile",
            "dn",
            "requester",
            "requester.email",
            "approver",
            "approver.email",
            "requesterComment",
            "approverComment",
            "contactEmail",
            "registrationDate",
            "expirationDate",
            "url",
        )
    ],
    "certificate": [
        f"certificate.{key}"
        for key in (
            "id",
            "serial",
            "dn",
            "issuer",
            "notBefore",
            "notAfter",
            "daysLeft",
            "keyType",
            "thumbprint",
            "profile",
            "module",
            "owner",
            "owner.email",
            "team",
            "contactEmail",
            "dnsNames",
            "rfc822Names",
            "revoked",
            "revocationReason",
            "url",
            "pem",
            "chainPem",
        )
    ],
}
