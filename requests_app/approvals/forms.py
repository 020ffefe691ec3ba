"""The approver's forms: a decision (approve or deny, with a comment; deny needs one), with
the fields the profile lets an approver edit, sent as the API's approval template (only what
the approver changed; the services check it all again)."""

from typing import Any

from django import forms

from profiles.models import Profile
from requests_app.approvals.review import element_label
from requests_app.models import Request
from requests_app.pages import advice
from requests_app.pages.forms import ServiceErrorsMixin
from requests_app.workflows.base import Body

APPROVE, DENY = "approve", "deny"
# Workflows whose approval template may carry edits, and which parts of it.
EDITS = {
    "enroll": ("subject", "sans", "labels", "contactEmail"),
    "update": ("labels", "contactEmail"),
    "migrate": ("labels", "contactEmail"),
}


def comment_field(required: bool = False) -> forms.CharField:
    return forms.CharField(
        label="Comment (shown to the requester; required to deny)",
        required=required,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(choices=[(APPROVE, "Approve"), (DENY, "Deny")])

    def __init__(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["comment"] = comment_field()
        self.error_fields: dict[str, str] = {}
        self.initials: dict[str, str] = {}
        parts = EDITS.get(request.workflow, ()) if request.profile_id else ()
        if parts and request.profile is not None:
            self._add_edit_fields(request.profile, parts)

    def _add_edit_fields(self, profile: Profile, parts: tuple[str, ...]) -> None:
        req = self.request
        if "subject" in parts:
            values = {i["element"]: i["value"] for i in req.template.get("subject", [])}
            for rule in profile.subject_rules.all():
                if rule.editable_by_approver:
                    self._edit(
                        f"subject:{rule.element}",
                        element_label(rule.element),
                        values.get(rule.element),
                        error_key=rule.element,
                    )
        if "sans" in parts:
            sans = {i["type"]: i["value"] for i in req.template.get("sans", [])}
            for san_rule in profile.san_rules.all():
                if san_rule.editable_by_approver:
                    self._edit(
                        f"san:{san_rule.san_type}",
                        f"{san_rule.get_san_type_display()} (one per line)",
                        "\n".join(sans.get(san_rule.san_type, [])),
                        textarea=True,
                    )
        if "labels" in parts:
            labels = {i["key"]: i["value"] for i in req.labels}
            for label_rule in profile.label_rules.all():
                if label_rule.editable_by_approver:
                    self._edit(
                        f"label:{label_rule.label}",
                        f"Label {label_rule.label}",
                        labels.get(label_rule.label),
                        choices=label_rule.enum,
                    )
        if "contactEmail" in parts and profile.contact_email_editable_by_approver:
            self._edit("contactEmail", "Contact email", req.contact_email, email=True)

    def _edit(
        self,
        key: str,
        label: str,
        initial: str | None,
        *,
        textarea: bool = False,
        choices: list[str] | None = None,
        error_key: str | None = None,
        email: bool = False,
    ) -> None:
        """A field named after the services' element key, so their errors land beside it."""
        field: forms.Field
        if choices:
            options = [("", "—")] + [(c, c) for c in choices]
            if initial and initial not in choices:  # the rule changed since: keep it visible
                options.append((initial, f"{initial} (no longer in the profile's list)"))
            field = forms.ChoiceField(label=label, required=False, choices=options)
        elif email:
            field = forms.EmailField(label=label, required=False)
        else:
            widget = forms.Textarea(attrs={"rows": 2}) if textarea else forms.TextInput
            field = forms.CharField(label=label, required=False, widget=widget, max_length=4000)
        field.initial = initial or ""
        self.fields[key] = field
        self.error_fields[error_key or key] = key
        self.initials[key] = initial or ""

    def edit_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.initials]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == DENY and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", "Say why you deny it: the requester will read this.")
        for line in _lines(cleaned.get("san:DNSNAME") or ""):
            problem = advice.dns_value_error(line)  # the requester's form explains the same
            if problem:
                self.add_error("san:DNSNAME", f"{line}: {problem}")
        return cleaned

    def edits(self) -> Body:
        """The approval template: only the values the approver changed."""
        template: Body = {}
        for key, before in self.initials.items():
            if key not in self.data:
                continue  # not sent at all: unchanged (a blank field is sent, and clears)
            after = (self.cleaned_data.get(key) or "").strip()
            if _lines(after) == _lines(before):  # browsers send textarea lines as CRLF
                continue
            kind, _, name = key.partition(":")
            if kind == "subject":
                template.setdefault("subject", []).append({"element": name, "value": after})
            elif kind == "san":
                template.setdefault("sans", []).append({"type": name, "value": _lines(after)})
            elif kind == "label":
                template.setdefault("labels", []).append({"label": name, "value": after})
            else:
                template["contactEmail"] = {"value": after}
        return template


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class BulkForm(forms.Form):
    """The decision for several requests; which ones come from the queue's checkboxes (each
    is then decided on its own by the services)."""

    decision = forms.ChoiceField(choices=[(APPROVE, "Approve"), (DENY, "Deny")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"] = comment_field()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == DENY and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", "Say why you deny them: the requesters will read this.")
        return cleaned
