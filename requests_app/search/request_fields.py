"""HRQL over the Request model: the fields a request search may name, and how it may sort.

Field names are Horizon's (lowercase, dotted for dates), with the API's camelCase names as
aliases (``registrationDate`` = ``registration.date``)::

    id, module, workflow, status, profile, requester, approver, owner, team, contact, dn,
    holderid, comment.requester, comment.approver                      text (id: an id)
    registration.date, modification.date, expiration.date               dates
    request is [not] valid | expired                                    expiration date passed?

``status``, ``module`` and ``workflow`` are compared as text (``status in [pending,
approved]``). Not supported: ``label.*`` (labels are a JSON list, which SQLite cannot search
by key), ``matches`` and ``within``.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from hrql.fields import CONTAINS, EQUALS, IN, ChoiceField, DateField, IdField, TextField
from requests_app.models import Status

USERNAME = get_user_model().USERNAME_FIELD


class RequesterField(TextField):
    """Who asked: an account's username, or the name of a principal without an account (a
    certificate's DN, for a proof of possession) — as the answers' ``requester`` says."""

    def __init__(self):
        super().__init__(f"requester__{USERNAME}")

    def build(self, name, operator, value) -> Q:
        named = TextField("requester_identifier").build(name, operator, value)
        return super().build(name, operator, value) | named


class StatusField(TextField):
    """``status`` as the API answers it: an expired request is reported ``pending`` (the
    contract has no expired status, see ``Request.contract_status``), so ``status is pending``
    finds it too; ``expirationDate`` or ``request is expired`` tell them apart."""

    def __init__(self):
        super().__init__("status")

    def build(self, name, operator, value) -> Q:
        found = super().build(name, operator, value)
        if operator == EQUALS and value == Status.PENDING:
            return found | Q(status=Status.EXPIRED)
        if operator == IN and Status.PENDING in value:
            return found | Q(status=Status.EXPIRED)
        if operator == CONTAINS and str(value).lower() in Status.PENDING:
            return found | Q(status=Status.EXPIRED)
        return found


def _expired() -> Q:
    return Q(expires_at__lte=timezone.now())


REQUEST_FIELDS = {
    "id": IdField("pk"),
    "_id": IdField("pk"),
    "module": TextField("module"),
    "workflow": TextField("workflow"),
    "status": StatusField(),
    "profile": TextField("profile__name"),
    "requester": RequesterField(),
    "approver": TextField(f"approver__{USERNAME}"),
    "owner": TextField(f"owner__{USERNAME}"),
    "team": TextField("team__name"),
    "contact": TextField("contact_email"),
    "dn": TextField("dn"),
    "holderid": TextField("holder_id"),
    "comment.requester": TextField("requester_comment"),
    "requestercomment": TextField("requester_comment"),
    "comment.approver": TextField("approver_comment"),
    "approvercomment": TextField("approver_comment"),
    "registration.date": DateField("created_at"),
    "registrationdate": DateField("created_at"),
    "modification.date": DateField("updated_at"),
    "lastmodificationdate": DateField("updated_at"),
    "expiration.date": DateField("expires_at"),
    "expirationdate": DateField("expires_at"),
    "request": ChoiceField({"valid": lambda: ~_expired(), "expired": _expired}),
}

# sortedBy elements (the API's camelCase names) → model fields.
REQUEST_SORTS = {
    "_id": "pk",
    "module": "module",
    "workflow": "workflow",
    "status": "status",
    "profile": "profile__name",
    "requester": f"requester__{USERNAME}",
    "approver": f"approver__{USERNAME}",
    "owner": f"owner__{USERNAME}",
    "team": "team__name",
    "contact": "contact_email",
    "dn": "dn",
    "holderId": "holder_id",
    "requesterComment": "requester_comment",
    "approverComment": "approver_comment",
    "certificateId": "certificate_id",
    "registrationDate": "created_at",
    "lastModificationDate": "updated_at",
    "expirationDate": "expires_at",
}
DEFAULT_REQUEST_ORDER = ["-created_at", "-pk"]
