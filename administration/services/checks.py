"""Who may administer, and what every administration write does last (its audit event and a
new configuration revision)."""

from typing import Any

from django.contrib.auth.models import User
from django.db import models

from administration.permissions import SUPERUSER_ONLY, may_manage
from profiles import revision
from raportal.callers import Principal, is_administrator
from raportal.errors import DomainError, conflict, forbidden
from raportal.models import record

NOT_AN_ADMINISTRATOR = "administration is for staff accounts"


def require_administrator(actor: Principal) -> None:
    """403 SEC-PERM-001 unless ``actor`` is Horizon's administrator (a staff account)."""
    if not is_administrator(actor):
        raise forbidden(NOT_AN_ADMINISTRATOR)


def require_may_manage(actor: Principal, account: User) -> None:
    """403 SEC-PERM-001 unless the actor may change this account (only a superuser changes a
    superuser's: its password, keys and state would hand a staff account its powers)."""
    require_administrator(actor)
    if not may_manage(actor, account):
        raise forbidden(SUPERUSER_ONLY)


def written(actor: Principal, action: str, obj: models.Model, **detail: Any) -> None:
    """The end of every administration write, in its transaction: the audit event, and a new
    configuration revision (cached profiles hold labels, teams, policies and CAs)."""
    record(actor, action, obj, **detail)
    revision.bump()


def not_found(kind: str, name: str) -> DomainError:
    return DomainError("REQ-001", f"no {kind} named {name!r}", status=404)


def already_exists(kind: str, name: str) -> DomainError:
    return conflict(f"a {kind} named {name!r} already exists", reason="exists")


def lock(row: models.Model) -> None:
    """Locks ``row`` until the end of the transaction: two changes to one object apply one
    after the other."""
    rows = row._meta.model._default_manager  # row may be a lazy request.user
    list(rows.select_for_update().filter(pk=row.pk).values_list("pk"))
