"""The profile editor's forms: the profile's own fields in sections, and one formset per rule
table (subject elements, SANs, labels). ``ProfileEditor`` validates them together with the
checks the admin API applies (profiles/validation.py) and saves them in one transaction.

Some sections and fields belong to some modules only: the ACME section to ACME profiles, the
EST/SCEP section and the centralized key generation (PKCS#12) fields to the others — an ACME
client always sends its CSR (RFC 8555 §7.4). A profile's module is fixed once created, so its
page has only its module's fields; the new-profile page has them all, marked with the modules
they belong to, and its script shows those of the module chosen (the server keeps only
those)."""

import datetime as dt
from typing import Any, cast

from django import forms
from django.db import transaction
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.forms.utils import ErrorDict

from administration.pages.profile_changes import Change, form_changes, rule_changes
from administration.pages.profile_sections import (
    ACME_TITLE,
    GROUPS,
    SECTIONS,
    TRIGGERS_TITLE,
    Section,
)
from administration.pages.rule_widgets import ElementField
from administration.profile_shapes import LIFECYCLE
from certificates.models import CertificateAuthority
from certificates.pki.keys import KEY_TYPE_CHOICES
from certificates.pki.signing import EKU_CHOICES
from profiles.models import (
    ACME_CHALLENGE_TYPES,
    APPROVAL_WORKFLOWS,
    MAX_APPROVALS,
    GrantLevel,
    Label,
    LabelRule,
    Module,
    Profile,
    SanRule,
    SubjectRule,
    Team,
    Workflow,
)
from profiles.validation import rule_problems
from raportal.durations import format_duration, parse_duration
from triggers.events import PROFILE_EVENTS, profile_key
from triggers.models import Trigger
from triggers.profile_triggers import read_profile_triggers

ACME_FIELDS = frozenset(dict(GROUPS)[ACME_TITLE])
# What makes no sense for ACME: the portal making the key (and its PKCS#12), device challenges.
NOT_FOR_ACME = frozenset(
    {
        "centralized",
        "decentralized",
        "default_key_type",
        "escrow",
        "p12_password_mode",
        "password_policy",
        "p12_encryption",
        "challenge_enabled",
        "dn_whitelist",
        "challenge_password_mode",
    }
)
OTHER_MODULES = " ".join(m for m in Module.values if m != Module.ACME)

EVERYONE_CHOICES = [
    ("", "Only accounts with a grant"),
    (GrantLevel.REQUEST.value, "Any signed-in account may request (needs approval)"),
    (GrantLevel.PERFORM.value, "Any signed-in account may perform (at once)"),
]


LABELS = {
    "ca": "Issuing CA",
    "validity_days": "Validity (days)",
    "extended_key_usages": "Extended key usages",
    "ocsp_in_aia": "Certificates name the CA's OCSP responder (AIA)",
    "renewal_enabled": "Certificates may be renewed",
    "renewal_period_days": "Renewal allowed from (days before expiry)",
    "centralized": "Centralized: the portal generates the key and delivers a PKCS#12",
    "decentralized": "Decentralized: the requester sends a CSR",
    "escrow": "Keep generated keys (encrypted) for recovery",
    "p12_password_mode": "PKCS#12 password",
    "password_policy": "PKCS#12 password policy",
    "team_default": "Default team",
    "team_whitelist": "Allowed teams",
    "contact_email_regex": "Contact email pattern (regex)",
    "max_per_holder": "Most valid certificates per holder",
    "max_per_holder_behavior": "When a holder has that many",
    "expiry_notice_days": "Mail owners and teams this many days before expiry",
    "challenge_enabled": "Devices need a one-time challenge created in the portal",
    "dn_whitelist": "A challenge is bound to one DN",
    "challenge_password_mode": "Challenge password",
    "self_revoke": "The owner may revoke their own certificate",
    "self_update": "The owner may update their own certificate",
    "self_renew": "The owner may renew their own certificate",
    "self_recover": "The owner may recover their own escrowed key",
    "self_pop_revoke": "Whoever proves possession of the key may revoke the certificate",
    "self_pop_update": "Whoever proves possession of the key may update the certificate",
    "self_pop_renew": "Whoever proves possession of the key may renew the certificate",
    "team_members_only": "Requesters choose only among their own teams",
    "dns_names_fully_qualified": "DNS names must be fully qualified (no single-label names)",
    "allow_mixed_script_labels": "Internationalized DNS labels may mix scripts (homograph risk)",
    "acme_eab_required": "New accounts need an External Account Binding key made here",
    "acme_unbound_level": "Accounts bound to no user or team (no EAB key) may",
    "acme_challenge_types": "Challenges offered for each name",
    "acme_order_lifetime": "Orders stay open for",
    "acme_verify_retry_count": "Validation attempts before a challenge fails",
    "acme_verify_retry_delay": "Wait between validation attempts",
    "acme_max_dns_names": "Most names per order",
    "acme_terms_of_service": "Terms of service URL",
    "acme_website": "Website URL",
    **{f"{w}_request_expiry_days": Workflow(w).label for w in LIFECYCLE},
    **{f"{w}_approvals_required": Workflow(w).label for w in APPROVAL_WORKFLOWS},
}


TRIGGER_FIELD = "triggers_"  # + the CertificateProfileTriggers key: triggers_onSubmitEnroll


def _entry_name(entry: Any) -> Any:
    return entry.get("name") if isinstance(entry, dict) else entry


class DaysListField(forms.CharField):
    """A list of whole numbers of days, written "30, 7, 1" (an empty field: none)."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(days) for days in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        days = []
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                days.append(int(part.strip()))
            except ValueError:
                raise forms.ValidationError(
                    f"{part.strip()!r} is not a whole number of days", code="invalid"
                ) from None
        return days


class DurationTextField(forms.CharField):
    """A duration written as Horizon writes them: "1 day", "12 hours", "90 s"."""

    def prepare_value(self, value):
        if isinstance(value, dt.timedelta):
            return format_duration(value)
        return value

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        try:
            return parse_duration(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class ProfileForm(forms.ModelForm):
    acme_order_lifetime = DurationTextField(
        help_text="How long an order and its authorizations stay open, e.g. 1 day, 8 hours "
        "(1 minute to 30 days)."
    )
    acme_verify_retry_delay = DurationTextField(help_text="e.g. 5 s, 1 minute (at most 1 hour).")
    acme_challenge_types = forms.MultipleChoiceField(
        choices=[(kind, kind) for kind in ACME_CHALLENGE_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="http-01: a file on the name's web server (port 80); dns-01: a TXT record, "
        "the only one for wildcard names (RFC 8555 §8.3, §8.4).",
    )
    expiry_notice_days = DaysListField(
        required=False,
        help_text="Comma-separated, e.g. 30, 7, 1: one notice per threshold, a digest per "
        "recipient; empty: no notice.",
    )
    authorized_key_types = forms.MultipleChoiceField(
        choices=KEY_TYPE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    extended_key_usages = forms.MultipleChoiceField(
        choices=EKU_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    team_whitelist = forms.ModelMultipleChoiceField(
        queryset=Team.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="If any are ticked, certificates may belong to these teams only.",
    )

    class Meta:
        model = Profile
        fields = [name for _, names in GROUPS for name in names if not name.startswith("everyone_")]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    trigger_fields: list[str]

    def __init__(self, *args, section: Section | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        self.module = self._chosen_module()
        self._keep_the_modules_fields()
        for name, label in LABELS.items():
            if name in self.fields:
                self.fields[name].label = label
        ca_field = self.fields["ca"]
        assert isinstance(ca_field, forms.ModelChoiceField), "a ForeignKey's form field"
        ca_field.queryset = CertificateAuthority.objects.issuers().order_by("name")
        levels = self.instance.authenticated_levels or {}
        for workflow in LIFECYCLE:
            self.fields[f"everyone_{workflow}"] = forms.ChoiceField(
                label=f"{Workflow(workflow).label} without a grant",
                choices=EVERYONE_CHOICES,
                required=False,
                initial=levels.get(workflow, ""),
            )
        if self.instance.pk:
            self.fields["module"].disabled = True  # requests and certificates depend on it
        for workflow in APPROVAL_WORKFLOWS:
            field = self.fields[f"{workflow}_approvals_required"]
            field.widget.attrs.update(min=1, max=MAX_APPROVALS)
        self.fields["enroll_approvals_required"].help_text = (
            f"1 to {MAX_APPROVALS}. With 2 or more, nobody runs this workflow alone: even a "
            "request by someone who may perform it waits for that many other approvers."
        )
        for name in ("contact_email_regex",):
            self.fields[name].widget.attrs["spellcheck"] = "false"
        for name in ("self_pop_revoke", "self_pop_update", "self_pop_renew"):
            self.fields[name].help_text = (
                "Without an account: a client signs a token (X-JWT-CERT-POP) with the "
                "certificate's key. Only for certificates of a CA trusted for client "
                "authentication in the list of CAs."
            )
        self._add_trigger_fields()
        if section is not None:
            self._keep_the_sections_fields(section)

    def _keep_the_sections_fields(self, section: Section) -> None:
        """Only the section's fields are shown, read and saved; the rest of the profile
        keeps its values (its model checks still run on the whole profile)."""
        keep = set(section.field_names())
        if section.title == TRIGGERS_TITLE:
            keep |= set(self.trigger_fields)
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.trigger_fields = [name for name in self.trigger_fields if name in self.fields]

    def _chosen_module(self) -> str | None:
        """The profile's module: fixed once created, else what the form was sent with or
        opened for; None on a new, unsent page (every module's fields are shown)."""
        if self.instance.pk:
            return self.instance.module
        if self.is_bound:
            return self.data.get(self.add_prefix("module")) or Module.WEBRA
        return None

    def _keep_the_modules_fields(self) -> None:
        if self.module is None:
            return
        drop = NOT_FOR_ACME if self.module == Module.ACME else ACME_FIELDS
        for name in drop:
            self.fields.pop(name, None)
        if self.module == Module.ACME:
            # RFC 8555 §7.4: the client sends its CSR; the portal never makes its key.
            self.instance.centralized = False
            self.instance.decentralized = True
            self.instance.escrow = False

    def field_modules(self, name: str) -> str:
        """The modules a field belongs to, space-separated ("" for every module)."""
        if name in ACME_FIELDS:
            return Module.ACME.value
        if name in NOT_FOR_ACME:
            return OTHER_MODULES
        return ""

    def _add_trigger_fields(self) -> None:
        """One choice per event that has triggers (or that the profile lists triggers for):
        the triggers of that very event, ticked when the profile fires them. Saved as
        Horizon's CertificateProfileTriggers (``profile.triggers``) in ``clean``."""
        by_event: dict[str, list[str]] = {}
        for name, event in Trigger.objects.order_by("name").values_list("name", "event"):
            by_event.setdefault(event, []).append(name)
        listed = self.instance.triggers or {}
        self.trigger_fields = []
        for event in PROFILE_EVENTS:
            key = profile_key(event)
            entries = listed.get(key)
            chosen = [
                n
                for n in map(_entry_name, entries if isinstance(entries, list) else [])
                if isinstance(n, str)
            ]
            names = by_event.get(event, [])
            if not names and not chosen:
                continue
            # A name the profile lists that is not a trigger of this event stays offered, so
            # that it shows and can be unticked (saving it would be refused).
            extra = [n for n in chosen if n not in names]
            field = f"{TRIGGER_FIELD}{key}"
            self.fields[field] = forms.MultipleChoiceField(
                label=f"{key} ({event})",
                choices=[(n, n) for n in [*names, *extra]],
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=chosen,
            )
            self.trigger_fields.append(field)

    def sections(self) -> list[dict]:
        """What the page shows: for each section here (the chosen one, or every one on the
        whole-profile page), its groups as (legend, [(bound field, its modules)], the
        group's modules) and its rule tables; modules are space-separated, "" for every
        module."""
        found = []
        for section in SECTIONS if self.section is None else [self.section]:
            groups = []
            for title, names in section.groups:
                if title == TRIGGERS_TITLE:
                    names = self.trigger_fields
                fields = [(self[n], self.field_modules(n)) for n in names if n in self.fields]
                if fields or title == TRIGGERS_TITLE:
                    modules = {m for _, m in fields}
                    groups.append((title, fields, modules.pop() if len(modules) == 1 else ""))
            found.append({"section": section, "groups": groups, "rules": section.rules})
        return found

    def _clean_triggers(self, data: dict) -> None:
        """The ticked triggers as CertificateProfileTriggers, checked as the admin API checks
        them (triggers/profile_triggers.py); periodic entries keep their activationDate."""
        previous = {
            key: {_entry_name(e): e for e in entries if isinstance(_entry_name(e), str)}
            for key, entries in (self.instance.triggers or {}).items()
            if isinstance(entries, list)
        }
        raw: dict[str, list] = {}
        for field in self.trigger_fields:
            key = field.removeprefix(TRIGGER_FIELD)
            names = data.get(field) or []
            if names:
                raw[key] = [previous.get(key, {}).get(name, name) for name in names]
        value, problems = read_profile_triggers(raw)
        for problem in problems:
            self.add_error(None, problem)
        self.instance.triggers = value

    def warnings(self) -> list[str]:
        """What is allowed but worth a second look (saving goes ahead)."""
        if hasattr(self, "cleaned_data") and "ca" in self.fields:
            ca = self.cleaned_data.get("ca")
        else:
            ca = self.instance.ca if self.instance.ca_id else None
        if ca is not None and ca.parent_id is None:
            return [
                f"{ca.name} is a root CA: its key signs end-entity certificates, so it must stay "
                "online. Horizon allows it (a self-signed connector); a subordinate issuing CA "
                "keeps the root offline."
            ]
        return []

    def clean(self):
        data = super().clean()
        assert data is not None, "ModelForm.clean returns cleaned_data"
        if self.section is None or f"everyone_{LIFECYCLE[0]}" in self.fields:
            self.instance.authenticated_levels = {
                workflow: data[f"everyone_{workflow}"]
                for workflow in LIFECYCLE
                if data.get(f"everyone_{workflow}")
            }
        if self.section is None or self.section.title == TRIGGERS_TITLE:
            self._clean_triggers(data)
        if self.module == Module.ACME:
            # The default key type is for keys the portal makes: none for ACME, but the
            # model wants it among the authorized ones.
            authorized = data.get("authorized_key_types") or []
            if authorized and self.instance.default_key_type not in authorized:
                self.instance.default_key_type = authorized[0]
        return data


class RuleForm(forms.ModelForm):
    """One rule row: compact widgets for a table cell."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.MultiWidget)) or name == "DELETE":
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{css} {css}-sm"
        if "san_type" in self.fields:  # wide enough for its longest type
            self.fields["san_type"].widget.attrs["class"] += " rule-type"
        if "regex" in self.fields:
            self.fields["regex"].widget.attrs.update(spellcheck="false", placeholder="any value")
        for name, label in RULE_LABELS.items():
            if name in self.fields:
                self.fields[name].label = label
        if "position" in self.fields:
            self.fields["position"].required = False

    def clean_position(self):
        return self.cleaned_data.get("position") or 0


class SubjectRuleForm(RuleForm):
    """The element chosen by type and index, not typed (administration/pages/rule_widgets)."""

    element = ElementField()


def label_catalogue() -> list[str]:
    return list(Label.objects.order_by("name").values_list("name", flat=True))


class LabelRuleForm(RuleForm):
    enum = forms.CharField(
        required=False,
        label="Allowed values",
        help_text="Comma-separated; empty: any value.",
    )

    class Meta:
        model = LabelRule
        fields = [
            "label",
            "value",
            "enum",
            "mandatory",
            "editable_by_requester",
            "editable_by_approver",
            "regex",
        ]

    def __init__(self, *args, catalogue: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["enum"] = ", ".join(self.instance.enum or [])
        # Labels come from the catalogue (read once per formset), as the admin API requires;
        # a rule written before its label was catalogued keeps its name until changed.
        names = list(catalogue if catalogue is not None else label_catalogue())
        if self.instance.label and self.instance.label not in names:
            names.append(self.instance.label)
        self.fields["label"] = forms.ChoiceField(
            label="Label",
            choices=[("", "—"), *((name, name) for name in names)],
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )

    def clean_enum(self):
        text = self.cleaned_data.get("enum") or ""
        return [value.strip() for value in text.split(",") if value.strip()]


RULE_LABELS = {
    "editable_by_requester": "Requester edits",
    "editable_by_approver": "Approver edits",
    "regex": "Pattern (regex)",
    "value": "Default value",
    "san_type": "Type",
}
RULE_FIELDS = ["mandatory", "editable_by_requester", "editable_by_approver", "regex"]

SubjectRules = inlineformset_factory(
    Profile,
    SubjectRule,
    form=SubjectRuleForm,
    fields=["element", "value", *RULE_FIELDS, "position"],
    extra=1,
    can_delete=True,
)
SanRules = inlineformset_factory(
    Profile,
    SanRule,
    form=RuleForm,
    fields=["san_type", "min", "max", *RULE_FIELDS],
    extra=1,
    can_delete=True,
)
LabelRules = inlineformset_factory(Profile, LabelRule, form=LabelRuleForm, extra=1, can_delete=True)


class ProfileEditor:
    """The profile form and its three rule formsets, validated and saved as one. With a
    ``section``, only that section's fields and rule tables are read and saved: the other
    tables are left unbound (their saved rows still count in the checks across tables)."""

    def __init__(
        self,
        data=None,
        *,
        instance: Profile | None = None,
        module: str | None = None,
        section: Section | None = None,
    ):
        self.instance = instance or Profile()
        self.section = section
        self.saved_values = {
            f.attname: getattr(self.instance, f.attname) for f in Profile._meta.concrete_fields
        }
        initial = {"module": module} if module in Module.values else None
        self.form = ProfileForm(
            data, instance=self.instance, prefix="profile", initial=initial, section=section
        )

        def bound(key: str):
            return data if section is None or key in section.rules else None

        self.formsets: dict[str, BaseInlineFormSet[Any, Profile, Any]] = {
            "subject": SubjectRules(bound("subject"), instance=self.instance, prefix="subject"),
            "san": SanRules(bound("san"), instance=self.instance, prefix="san"),
            "label": LabelRules(
                bound("label"),
                instance=self.instance,
                prefix="label",
                form_kwargs={"catalogue": label_catalogue()},
            ),
        }
        self.problems: list[str] = []

    def edited_formsets(self) -> "dict[str, BaseInlineFormSet[Any, Profile, Any]]":
        """The rule tables this page edits (and saves)."""
        if self.section is None:
            return self.formsets
        return {key: self.formsets[key] for key in self.section.rules}

    def _kept(self, key: str) -> list:
        """The rules the formset will leave: existing or filled-in rows not marked deleted."""
        formset = self.formsets[key]
        return [
            form.instance
            for form in formset.forms
            if form not in formset.deleted_forms and (form.instance.pk or form.has_changed())
        ]

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        edited = self.edited_formsets().values()
        valid = all([formset.is_valid() for formset in edited]) and valid
        if not valid:
            return False
        subject = sorted(self._kept("subject"), key=lambda rule: rule.position)
        self.problems = rule_problems(subject, self._kept("san"), self._kept("label"))
        return not self.problems

    @transaction.atomic
    def save(self) -> Profile:
        profile = self.form.save(commit=False)
        if self.section is None or profile.pk is None:
            profile.save()
        else:
            # A section writes the columns it changed, nothing else: a concurrent save of
            # another section keeps its values.
            changed = [
                attname
                for attname, before in self.saved_values.items()
                if getattr(profile, attname) != before
            ]
            if changed:
                profile.save(update_fields=changed)
        self.form.save_m2m()
        for formset in self.edited_formsets().values():
            formset.instance = profile
            formset.save()
        return profile

    def changes(self) -> list[Change]:
        """What saving changes, field by field and rule by rule (after ``is_valid``)."""
        return form_changes(self.form) + rule_changes(self.edited_formsets())

    def write(self, profile: Profile | None) -> tuple[Profile, list[str]]:
        """The services' ``ProfileSource`` (administration/services/profiles.py): the forms
        describe the profile they were bound to; nothing is ignored."""
        return self.save(), []

    def errors_summary(self) -> list[str]:
        """Every problem in words, for the summary above the form."""
        out = list(self.problems)
        for name, errors in self.form.errors.items():
            label = self.form.fields[name].label if name in self.form.fields else ""
            out += [f"{label or 'Profile'}: {error}" for error in errors]
        titles = {"subject": "Subject element", "san": "Alternative name", "label": "Label"}
        for key, formset in self.edited_formsets().items():
            out += [f"{titles[key]}s: {error}" for error in formset.non_form_errors()]
            # Each form's ErrorDict (django-stubs types formset.errors as list[ErrorList]).
            form_error_dicts = cast(list[ErrorDict], formset.errors)
            for index, form_errors in enumerate(form_error_dicts):
                for name, errors in form_errors.items():
                    out += [f"{titles[key]} row {index + 1}, {name}: {e}" for e in errors]
        return out
