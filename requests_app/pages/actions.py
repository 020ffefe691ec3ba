"""What a user may ask for about a certificate — revoke, update, renew, recover, migrate — as
forms that become the API's submissions (the services decide)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from django import forms

from certificates.models import Certificate, RevocationReason
from profiles.access import Caller, granted_profiles
from profiles.models import GrantLevel, Profile, Workflow
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.pages.forms import (
    CertificateDataFields,
    KeyFields,
    ServiceErrorsMixin,
    as_sentence,
    comment_field,
)
from requests_app.workflows import handler_for
from requests_app.workflows.base import Target
from requests_app.workflows.fitness import check_fits
from requests_app.workflows.migrate import INVALID_TARGET
from requests_app.workflows.on_certificate import CertificateWorkflow


class ActionForm(ServiceErrorsMixin, forms.Form):
    workflow: str

    def __init__(self, certificate: Certificate, user: Principal, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.certificate, self.user = certificate, user
        self.error_fields = {}
        self.build()
        self.fields["requester_comment"] = comment_field()

    def build(self) -> None:
        pass

    def certificate_profile(self) -> Profile:
        """The certificate's profile: the page offers actions only on a certificate that has
        one (available_actions)."""
        profile = self.certificate.profile
        if profile is None:
            raise ValueError(f"certificate {self.certificate.pk} has no profile: no action on it")
        return profile

    def submission(self) -> dict[str, Any]:
        return {
            "module": "webra",
            "workflow": self.workflow,
            "certificateId": str(self.certificate.pk),
            "requesterComment": self.cleaned_data.get("requester_comment") or "",
        }


class RevokeForm(ActionForm):
    workflow = Workflow.REVOKE

    def build(self) -> None:
        self.fields["reason"] = forms.ChoiceField(
            label="Why",
            # CA compromise concerns certificate authorities, never the certificates here.
            choices=[
                choice
                for choice in RevocationReason.choices
                if choice[0] != RevocationReason.CA_COMPROMISE
            ],
            initial=RevocationReason.UNSPECIFIED,
            help_text="Key compromise if the private key may be known to someone else.",
        )
        self.fields["confirm"] = forms.BooleanField(
            label="Yes, revoke this certificate. It cannot be undone.", required=True
        )
        self.error_fields["revocationReason"] = "reason"

    def to_submission(self) -> dict[str, Any]:
        return self.submission() | {"template": {"revocationReason": self.cleaned_data["reason"]}}


class UpdateForm(CertificateDataFields, ActionForm):
    workflow = Workflow.UPDATE

    def build(self) -> None:
        self.add_data_fields(self.certificate_profile(), self.user, current=self.certificate)

    def to_submission(self) -> dict[str, Any]:
        return self.submission() | {"template": self.data_template()}


class RenewForm(KeyFields, ActionForm):
    workflow = Workflow.RENEW

    def build(self) -> None:
        self.add_key_fields(self.certificate_profile())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # Form.clean returns cleaned_data; None would mean "as it is"
            cleaned = self.cleaned_data
        self.clean_key(cleaned)
        return cleaned

    def to_submission(self) -> dict[str, Any]:
        profile = self.certificate_profile()
        default = (
            self.certificate.key_type
            if self.certificate.key_type in profile.authorized_key_types
            else profile.default_key_type
        )
        return self.key_submission(self.submission(), default_key_type=default)


class RecoverForm(KeyFields, ActionForm):
    workflow = Workflow.RECOVER

    def build(self) -> None:
        self.add_key_fields(self.certificate_profile(), password_only=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # Form.clean returns cleaned_data; None would mean "as it is"
            cleaned = self.cleaned_data
        self.clean_key(cleaned)
        return cleaned

    def to_submission(self) -> dict[str, Any]:
        submission = self.submission()
        if self.cleaned_data.get("password"):
            submission["password"] = {"value": self.cleaned_data["password"]}
        return submission


class MigrateForm(CertificateDataFields, ActionForm):
    """Two steps, both without JavaScript: choose the target profile (a GET form), then the
    target's data fields (labels, owner, team, contact), filled from the certificate."""

    workflow = Workflow.MIGRATE

    def build(self) -> None:
        targets = {p.name: p for p in migration_targets(self.user, self.certificate)}
        chosen = self.data.get("target") or self.initial.get("target")
        self.chosen = targets.get(chosen) if chosen is not None else None
        self.fit_problem = ""
        self.fields["target"] = forms.ChoiceField(
            label="Move it to",
            choices=[(name, str(p)) for name, p in targets.items()],
            initial=self.chosen.name if self.chosen else None,
            help_text="Only profiles whose rules this certificate meets accept it.",
            widget=forms.HiddenInput if self.chosen else forms.Select,
        )
        self.error_fields["profile"] = "target"
        if self.chosen is not None:
            self.add_data_fields(self.chosen, self.user, current=self.certificate)
            try:
                check_fits(
                    x509.load_pem_x509_certificate(self.certificate.pem.encode()),
                    self.chosen,
                    code=INVALID_TARGET,
                )
            except DomainError as error:
                self.fit_problem = error.detail

    @property
    def target_profile_label(self) -> str:
        return str(self.chosen) if self.chosen else ""

    def to_submission(self) -> dict[str, Any]:
        return self.submission() | {
            "profile": self.cleaned_data["target"],
            "template": self.data_template(),
        }


FORMS: dict[str, type[ActionForm]] = {
    Workflow.REVOKE: RevokeForm,
    Workflow.UPDATE: UpdateForm,
    Workflow.RENEW: RenewForm,
    Workflow.RECOVER: RecoverForm,
    Workflow.MIGRATE: MigrateForm,
}


def migration_targets(user: Principal, certificate: Certificate) -> list[Profile]:
    """The enabled WebRA profiles this certificate may move to: those where the caller's level
    on the migration (on the certificate and on the target: profiles/access.py) is not None."""
    candidates = list(
        Profile.objects.enabled()
        .filter(module="webra", pk__in=granted_profiles(user, Workflow.MIGRATE).values("pk"))
        .exclude(pk=certificate.profile_id)
        .order_by("name")
    )
    source = [certificate.profile] if certificate.profile is not None else []
    caller = Caller.of(user, [*source, *candidates])
    return [
        target
        for target in candidates
        if caller.on_certificate(certificate, Workflow.MIGRATE, target_profile_id=target.pk)
    ]


@dataclass
class Action:
    workflow: str
    label: str
    allowed: bool
    reason: str = ""  # why it cannot be done, as a sentence; empty when it can


ACTION_LABELS = {
    Workflow.RENEW: "Renew",
    Workflow.REVOKE: "Revoke",
    Workflow.UPDATE: "Update",
    Workflow.RECOVER: "Recover the key",
    Workflow.MIGRATE: "Move to another profile",
}


def available_actions(user: Principal, certificate: Certificate) -> list[Action]:
    """The actions the page lists: those the access policy lets the user take on the
    certificate (profiles/access.py; without a grant an action is not listed at all). Each
    one that cannot apply to the certificate as it is now (revoked, expired, its key not
    kept…) carries why, in the words of the workflow's own precondition (``check_applies``,
    which the services ask again on submission): the page offers no button for it."""
    profile = certificate.profile
    if profile is None or not profile.enabled:
        return []
    caller = Caller.of(user, [profile])
    levels = {
        workflow: level
        for workflow, level in caller.certificate_levels(certificate).items()
        if level is not None
    }
    actions = []
    for workflow, label in ACTION_LABELS.items():
        if workflow not in levels:
            continue
        handler = handler_for("webra", workflow)
        assert isinstance(handler, CertificateWorkflow), "these act on a certificate"
        reason = _refusal(handler.check_applies, certificate, profile)
        if workflow == Workflow.UPDATE:
            editable = editable_data(profile)
            label = "Update " + _and(editable) if editable else label
            if not reason and not editable:
                reason = "this profile lets only approvers change its data"
        if workflow == Workflow.MIGRATE and not reason and not migration_targets(user, certificate):
            reason = "there is no other profile you may move it to"
        if not reason and levels[workflow] != GrantLevel.PERFORM:
            # A request that would wait behind one of its kind (the services' rule).
            reason = _refusal(handler.check_not_duplicate, Target(profile, certificate))
        actions.append(Action(workflow, label, not reason, as_sentence(reason)))
    return actions


def _refusal(check: Callable[..., object], *args: Any) -> str:
    """Why a service check refuses, in its own words; empty when it passes."""
    try:
        check(*args)
    except DomainError as error:
        return error.html or error.detail
    return ""


def editable_data(profile: Profile) -> list[str]:
    """What a requester may change on this profile's certificates, for the update action's
    label (the form shows the same fields, the others read-only)."""
    editable = []
    if any(rule.editable_by_requester for rule in profile.label_rules.all()):
        editable.append("labels")
    if profile.owner_editable_by_requester:
        editable.append("owner")
    if profile.team_editable_by_requester:
        editable.append("team")
    if profile.contact_email_editable_by_requester:
        editable.append("contact email")
    return editable


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
