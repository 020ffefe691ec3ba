"""What a user may ask for about a certificate — revoke, update, renew, recover, migrate — as
forms that become the API's submissions (the services decide)."""

from dataclasses import dataclass

from django import forms

from certificates.models import Certificate, RevocationReason
from profiles.models import Grant, GrantLevel, Profile, Workflow
from raportal.errors import DomainError
from requests_app.pages.forms import (
    CertificateDataFields,
    KeyFields,
    ServiceErrorsMixin,
    comment_field,
)
from requests_app.workflows.on_certificate import CertificateWorkflow
from requests_app.workflows.renew import check_renewable


class ActionForm(ServiceErrorsMixin, forms.Form):
    workflow: str

    def __init__(self, certificate: Certificate, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.certificate, self.user = certificate, user
        self.error_fields: dict[str, str] = {}
        self.build()
        self.fields["requester_comment"] = comment_field()

    def build(self) -> None:
        pass

    def submission(self) -> dict:
        return {
            "module": "webra",
            "workflow": self.workflow,
            "certificateId": str(self.certificate.pk),
            "requesterComment": self.cleaned_data.get("requester_comment") or "",
        }


class RevokeForm(ActionForm):
    workflow = Workflow.REVOKE

    def build(self):
        self.fields["reason"] = forms.ChoiceField(
            label="Why",
            choices=RevocationReason.choices,
            initial=RevocationReason.UNSPECIFIED,
            help_text="Key compromise if the private key may be known to someone else.",
        )
        self.fields["confirm"] = forms.BooleanField(
            label="Yes, revoke this certificate. It cannot be undone.", required=True
        )
        self.error_fields["revocationReason"] = "reason"

    def to_submission(self) -> dict:
        return self.submission() | {"template": {"revocationReason": self.cleaned_data["reason"]}}


class UpdateForm(CertificateDataFields, ActionForm):
    workflow = Workflow.UPDATE

    def build(self):
        self.add_data_fields(self.certificate.profile, self.user, current=self.certificate)

    def to_submission(self) -> dict:
        return self.submission() | {"template": self.data_template()}


class RenewForm(KeyFields, ActionForm):
    workflow = Workflow.RENEW

    def build(self):
        self.add_key_fields(self.certificate.profile)

    def clean(self):
        cleaned = super().clean()
        self.clean_key(cleaned)
        return cleaned

    def to_submission(self) -> dict:
        profile = self.certificate.profile
        default = (
            self.certificate.key_type
            if self.certificate.key_type in profile.authorized_key_types
            else profile.default_key_type
        )
        return self.key_submission(self.submission(), default_key_type=default)


class RecoverForm(KeyFields, ActionForm):
    workflow = Workflow.RECOVER

    def build(self):
        self.add_key_fields(self.certificate.profile, password_only=True)

    def clean(self):
        cleaned = super().clean()
        self.clean_key(cleaned)
        return cleaned

    def to_submission(self) -> dict:
        submission = self.submission()
        if self.cleaned_data.get("password"):
            submission["password"] = {"value": self.cleaned_data["password"]}
        return submission


class MigrateForm(ActionForm):
    workflow = Workflow.MIGRATE

    def build(self):
        targets = migration_targets(self.user, self.certificate)
        self.fields["target"] = forms.ChoiceField(
            label="Move it to",
            choices=[(p.name, str(p)) for p in targets],
            help_text="Only profiles that could have issued this certificate accept it.",
        )
        self.error_fields["profile"] = "target"

    def to_submission(self) -> dict:
        return self.submission() | {"profile": self.cleaned_data["target"], "template": {}}


FORMS = {
    Workflow.REVOKE: RevokeForm,
    Workflow.UPDATE: UpdateForm,
    Workflow.RENEW: RenewForm,
    Workflow.RECOVER: RecoverForm,
    Workflow.MIGRATE: MigrateForm,
}


def migration_targets(user, certificate: Certificate) -> list[Profile]:
    granted = Grant.objects.for_user(user).filter(workflow=Workflow.MIGRATE)
    return list(
        Profile.objects.enabled()
        .filter(module="webra", pk__in=granted.values("profile"))
        .exclude(pk=certificate.profile_id)
        .order_by("name")
    )


@dataclass
class Action:
    workflow: str
    label: str
    allowed: bool
    reason: str = ""


def available_actions(user, certificate: Certificate) -> list[Action]:
    """The actions the page offers: those the user holds a grant for on the certificate's
    profile, each with why it cannot be done now when it cannot (the services decide again
    on submission)."""
    profile = certificate.profile
    if profile is None or not profile.enabled:
        return []
    levels: dict[str, str] = {}
    for workflow, level in (
        Grant.objects.for_user(user).filter(profile=profile).values_list("workflow", "level")
    ):
        if levels.get(workflow) != GrantLevel.PERFORM:
            levels[workflow] = level
    granted = set(levels)
    actions = []
    if Workflow.RENEW in granted:
        reason = ""
        try:
            check_renewable(certificate, profile)
        except DomainError as error:
            reason = error.detail
        actions.append(Action(Workflow.RENEW, "Renew", not reason, reason))
    if Workflow.REVOKE in granted:
        reason = (
            "already revoked"
            if certificate.revoked
            else ("not issued by this portal's CAs" if not certificate.ca_id else "")
        )
        actions.append(Action(Workflow.REVOKE, "Revoke", not reason, reason))
    if Workflow.UPDATE in granted:
        actions.append(Action(Workflow.UPDATE, "Update labels, owner, team, contact", True))
    if Workflow.RECOVER in granted:
        reason = "" if certificate.escrowed else "its key was not kept by the portal"
        if not reason:
            try:
                CertificateWorkflow.check_key_entitlement(
                    certificate, user, levels[Workflow.RECOVER]
                )
            except DomainError as error:
                reason = error.detail
        actions.append(Action(Workflow.RECOVER, "Recover the key", not reason, reason))
    if Workflow.MIGRATE in granted:
        reason = "" if migration_targets(user, certificate) else "no other profile to move to"
        actions.append(Action(Workflow.MIGRATE, "Move to another profile", not reason, reason))
    return actions
