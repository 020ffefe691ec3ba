"""The configuration revision: a token that changes with every change to what a cached
profile holds (the profile, its rule tables, its CA, default team and password policy) and to
what an account's cached grants hold (grants, team memberships: profiles/grants_cache.py).

Processes keep profiles in memory (profiles/cache.py) and compare tokens with one cheap
query per use. The token is random, not a counter: a transaction that changed it and was
rolled back can never make an old token current again. It changes in the transaction that
makes the change, so readers see both or neither.

Every write path bumps it: ``save``/``delete`` and the team whitelist's and team members'
``set``/``add``/``remove``/``clear`` through signals (connected by the app), bulk ``update``/
``delete``/``bulk_create``/``bulk_update`` through ``RevisedQuerySet``, and every ``migrate``
run at its end (data migrations send no signals). Only raw SQL outside migrations, and bulk
writes on the membership table itself (``Team.members.through.objects``), bypass it.

Read once per request: ``RevisionPerRequestMiddleware`` lets ``current()`` keep the token it
read for the rest of the request (the profile cache and the grants cache then share one
query; an API call reads it with its credential, in the same query). A bump in the request
ends that for the rest of the request: every later ``current()`` reads the database, so a
token bumped in a transaction that is then rolled back (the profile editor's preview) is
never kept. Another process's change is seen by the next
request, never later; outside a request every ``current()`` reads the database.
"""

import contextlib
import threading
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connection, models
from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

# Models whose rows end up in a cached profile, with the fields whose changes do not matter
# to it (a CA's CRL state changes with every revocation and is never read from the cache:
# the cache defers those fields, so reading them loads fresh values).
REVISED_MODELS = {
    "profiles.Profile": frozenset(),
    "profiles.SubjectRule": frozenset(),
    "profiles.SanRule": frozenset(),
    "profiles.LabelRule": frozenset(),
    "profiles.Team": frozenset(),
    "profiles.PasswordPolicy": frozenset(),
    "profiles.Grant": frozenset(),
    "certificates.CertificateAuthority": frozenset(
        {"crl_number", "crl_der", "crl_next_update", "crl_stale"}
    ),
}


def quiet_fields(model) -> frozenset:
    return REVISED_MODELS.get(model._meta.label, frozenset())


# .active: in a request; .token: the token it read; .bumped: it bumped the token (which a
# rollback may undo: it reads the database from then on).
_request = threading.local()


def _keeps() -> bool:
    return getattr(_request, "active", False) and not getattr(_request, "bumped", False)


def bump() -> None:
    """A new token, in the current transaction."""
    _request.token = None
    _request.bumped = True
    revision = apps.get_model("profiles", "ConfigRevision")
    token = uuid.uuid4().hex
    if not revision.objects.filter(pk=1).update(token=token):
        # The row comes with the migrations; a flushed test database has none.
        revision.objects.bulk_create([revision(pk=1, token=token)], ignore_conflicts=True)


def current() -> str | None:
    """The current token (None: no row, nothing may be cached)."""
    token = getattr(_request, "token", None)
    if token is not None:
        return token
    table = apps.get_model("profiles", "ConfigRevision")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {connection.ops.quote_name(table)} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    token = row[0] if row else None
    if _keeps():
        _request.token = token
    return token


def prime(token: str | None) -> None:
    """The token, read by another query of this request (the API key's: connect())."""
    if _keeps() and token is not None:
        _request.token = token


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """One reading of the revision for the block, as for a request (background work that
    asks the access policy about many accounts at once); inside a request, the request's."""
    if getattr(_request, "active", False):
        yield
        return
    _request.active, _request.token, _request.bumped = True, None, False
    try:
        yield
    finally:
        _request.active, _request.token, _request.bumped = False, None, False


class RevisionPerRequestMiddleware:
    """One reading of the revision per request (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with read_once():
            return self.get_response(request)


class RevisedQuerySet(models.QuerySet):
    """Bulk writes send no signals: they bump the revision themselves."""

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if count and not set(kwargs) <= quiet_fields(self.model):
            bump()
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        outcome = super().delete()
        if outcome[0]:
            bump()
        return outcome

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            bump()
        return created

    def bulk_update(
        self, objs: Iterable[Any], fields: Iterable[str], *args: Any, **kwargs: Any
    ) -> int:
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if count and not set(fields) <= quiet_fields(self.model):
            bump()
        return count


def _saved(sender, update_fields=None, raw=False, **kwargs):
    if update_fields is not None and set(update_fields) <= quiet_fields(sender):
        return
    bump()


def _deleted(sender, **kwargs):
    bump()


def _m2m_changed(sender, action, pk_set=None, **kwargs):
    # ``set()`` with what is already there adds and removes nothing: no new revision.
    if action == "post_clear" or (action.startswith("post_") and pk_set):
        bump()


def _migrated(sender, using=None, **kwargs):
    # Data migrations bypass the signals: whatever they changed is a new revision.
    if sender.label == "profiles":
        # Migrated back before the revision's table existed: nothing is cached then.
        with contextlib.suppress(DatabaseError):
            bump()


def connect_signals() -> None:
    for label in REVISED_MODELS:
        model = apps.get_model(label)
        post_save.connect(_saved, sender=model, dispatch_uid=f"revision-save-{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"revision-delete-{label}")
    whitelist = apps.get_model("profiles.Profile").team_whitelist.through
    m2m_changed.connect(_m2m_changed, sender=whitelist, dispatch_uid="revision-team-whitelist")
    members = apps.get_model("profiles.Team").members.through
    m2m_changed.connect(_m2m_changed, sender=members, dispatch_uid="revision-team-members")
    # A member's row deleted with its account (a cascade, no m2m signal).
    post_delete.connect(_deleted, sender=members, dispatch_uid="revision-delete-team-members")
    post_migrate.connect(_migrated, dispatch_uid="revision-after-migrate")
    # An API call reads the token with its credential: one query fewer per request.
    from raportal.api.authentication import CREDENTIAL_EXTRAS

    token = apps.get_model("profiles", "ConfigRevision").objects.filter(pk=1).values("token")
    CREDENTIAL_EXTRAS["config_revision"] = (Subquery(token[:1]), prime)
