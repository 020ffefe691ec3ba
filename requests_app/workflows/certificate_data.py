"""Labels, owner, team and contact email: what the portal keeps about a certificate beside
its names. Checked against a profile's rules by update, migrate and import."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from certificates.models import Certificate
from profiles import template_rules as rules
from profiles.models import Profile, Team
from raportal.callers import Principal
from raportal.errors import DomainError
from requests_app.api.inputs import CertificateDataInput, parse
from requests_app.models import Request
from requests_app.workflows.base import Body, filed_profile

FIELDS = {"labels": "labels", "owner": "owner", "team": "team", "contactEmail": "contact_email"}


@dataclass
class CertificateData:
    labels: list[dict[str, str]]
    owner: object  # an account, or None (as rules.CheckedTemplate has it)
    team: Team | None
    contact_email: str
    # The model fields a request changes (those its template named): only these are written,
    # so a concurrent change to the others is not undone.
    fields: frozenset[str] = frozenset()

    @classmethod
    def of(cls, obj: Certificate | Request) -> "CertificateData":
        """From a Certificate or a Request (both carry these four fields)."""
        return cls(list(obj.labels), obj.owner, obj.team, obj.contact_email)

    def changed_from(self, current: "CertificateData") -> list[str]:
        """The fields among ``self.fields`` whose value differs from ``current``'s."""

        def comparable(data: CertificateData, name: str) -> object:
            if name == "labels":
                return sorted((item["key"], item["value"]) for item in data.labels)
            return getattr(data, name)

        return sorted(
            name for name in self.fields if comparable(self, name) != comparable(current, name)
        )

    def apply_to(
        self, obj: Certificate | Request, fields: Iterable[str] | None = None
    ) -> list[str]:
        """Writes the values (all of them, or ``fields``) onto obj; returns the field names."""
        written = sorted(FIELDS.values() if fields is None else fields)
        for name in written:
            setattr(obj, name, getattr(self, name))
        return written


def reject_metadata(template: dict[str, Any]) -> None:
    if template.get("metadata"):
        raise DomainError("CERT-ELEM-001", "metadata is managed by the portal, not requested")


def check_data(
    profile: Profile,
    template: dict[str, Any],
    *,
    editor: str,
    user: Principal,
    current: CertificateData,
) -> CertificateData:
    given = frozenset(FIELDS[key] for key in FIELDS if template.get(key) is not None)
    return CertificateData(
        fields=given,
        labels=rules.check_labels(
            profile,
            template.get("labels"),
            editor=editor,
            current={item["key"]: item["value"] for item in current.labels},
        ),
        owner=rules.check_owner(
            profile, template.get("owner"), editor=editor, current=current.owner
        ),
        team=rules.check_team(
            profile, template.get("team"), editor=editor, current=current.team, user=user
        ),
        contact_email=rules.check_contact_email(
            profile, template.get("contactEmail"), editor=editor, current=current.contact_email
        ),
    )


def approver_edits(request: Request, data: Body, approver: Principal) -> CertificateData:
    """An approver's changes to the labels, owner, team and contact email of a pending request
    about a certificate (update, migrate), added to those its requester asked for."""
    edits = parse(CertificateDataInput, data.get("template") or {})
    reject_metadata(edits)
    checked = check_data(
        filed_profile(request.profile),
        edits,
        editor=rules.APPROVER,
        user=approver,
        current=CertificateData.of(request),
    )
    checked.fields |= frozenset(request.template.get("fields", []))
    return checked


def data_template_json(request: Request) -> dict[str, Any]:
    """The contract's Update/Migrate/Import request templates."""
    return {
        "labels": [{"label": item["key"], "value": item["value"]} for item in request.labels],
        "owner": {"value": request.owner.get_username() if request.owner is not None else None},
        "team": {"value": request.team.name if request.team is not None else None},
        "contactEmail": {"value": request.contact_email or None},
        "metadata": [],
    }
