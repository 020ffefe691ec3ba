"""The configuration revision: a token that changes with every change to what a cached
profile holds (the profile, its rule tables, its CA, default team and password policy).

Processes keep profiles in memory (profiles/cache.py) and compare tokens with one cheap
query per use. The token is random, not a counter: a transaction that changed it and was
rolled back can never make an old token current again. It changes in the transaction that
makes the change, so readers see both or neither.

Every write path bumps it: ``save``/``delete`` and the team whitelist's ``set``/``add``/
``remove`` through signals (connected by the app), bulk ``update``/``delete``/``bulk_create``/
``bulk_update`` through ``RevisedQuerySet``, and every ``migrate`` run at its end (data
migrations send no signals). Only raw SQL outside migrations bypasses it.
"""

import contextlib
import uuid

from django.apps import apps
from django.db import DatabaseError, connection, models
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
    "certificates.CertificateAuthority": frozenset(
        {"crl_number", "crl_der", "crl_next_update", "crl_stale"}
    ),
}


def quiet_fields(model) -> frozenset:
    return REVISED_MODELS.get(model._meta.label, frozenset())


def bump() -> None:
    """A new token, in the current transaction."""
    revision = apps.get_model("profiles", "ConfigRevision")
    token = uuid.uuid4().hex
    if not revision.objects.filter(pk=1).update(token=token):
        # The row comes with the migrations; a flushed test database has none.
        revision.objects.bulk_create([revision(pk=1, token=token)], ignore_conflicts=True)


def current() -> str | None:
    """The current token (None: no row, nothing may be cached)."""
    table = apps.get_model("profiles", "ConfigRevision")._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {connection.ops.quote_name(table)} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else None


class RevisedQuerySet(models.QuerySet):
    """Bulk writes send no signals: they bump the revision themselves."""

    def update(self, **kwargs):
        count = super().update(**kwargs)
        if count and not set(kwargs) <= quiet_fields(self.model):
            bump()
        return count

    def delete(self):
        outcome = super().delete()
        if outcome[0]:
            bump()
        return outcome

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            bump()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
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


def _m2m_changed(sender, action, **kwargs):
    if action.startswith("post_"):
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
    post_migrate.connect(_migrated, dispatch_uid="revision-after-migrate")
