"""The home dashboard's charts, kept in the cache until something they count changes.

A dashboard is read far more often than what it counts changes: each section's charts
(requests_app/pages/dashboard.py) are kept per account and day, under a version that every
committed write to requests, certificates, profiles, grants, teams or approvals moves on
(``watch_writes``) — so a request just submitted is counted on the next visit — and for at
most RAPORTAL_DASHBOARD_CACHE_SECONDS (what a write made without the ORM's signals, an
UPDATE over a queryset, changes shows after that long; 0: never kept). A cache that fails
(Redis down) only means the charts are counted again."""

import logging
from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from raportal.callers import Principal

log = logging.getLogger(__name__)

VERSION = "dashboard:version"
# What the charts count, or who may see it: a committed write to one of these moves the
# version on.
WATCHED = (
    "requests_app.Request",
    "requests_app.RequestApproval",
    "certificates.Certificate",
    "profiles.Profile",
    "profiles.Grant",
    "profiles.Team",
)


def cached[T](user: Principal, section: str, compute: Callable[[], T]) -> T:
    """``compute()``'s charts for ``user``'s ``section``, from the cache when still current."""
    seconds = settings.RAPORTAL_DASHBOARD_CACHE_SECONDS
    if not seconds or not getattr(user, "pk", None):
        return compute()
    try:
        version = cache.get(VERSION, 0)
        key = f"dashboard:{version}:{user.pk}:{section}:{timezone.localdate()}"
        found = cache.get(key)
    except Exception as error:  # the cache is an optimisation: count again
        log.warning("dashboard cache unreadable: %s", error)
        return compute()
    if found is not None:
        return found
    value = compute()
    try:
        cache.set(key, value, seconds)
    except Exception as error:
        log.warning("dashboard cache unwritable: %s", error)
    return value


def moved_on() -> None:
    """Every account's dashboard counts again from now on."""
    try:
        cache.incr(VERSION)
    except ValueError:  # no version yet (or evicted): any new value will do
        cache.set(VERSION, int(timezone.now().timestamp() * 1000), None)
    except Exception as error:
        log.warning("dashboard cache version not moved on: %s", error)


def _written(**kwargs: object) -> None:
    if not settings.RAPORTAL_DASHBOARD_CACHE_SECONDS:
        return  # nothing kept, nothing to count again
    # After the commit: a dashboard counted between the write and its commit would be kept
    # under the new version with the old numbers. (One INCR per row written: a submission
    # writes a few; not worth tracking which transaction already has one.)
    transaction.on_commit(moved_on)


def watch_writes() -> None:
    """Connects the version to the writes of WATCHED (RequestsAppConfig.ready)."""
    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(_written, sender=model, dispatch_uid=f"dashboard-save-{label}")
        post_delete.connect(_written, sender=model, dispatch_uid=f"dashboard-delete-{label}")
    members = apps.get_model("profiles.Team").members.through
    m2m_changed.connect(_written, sender=members, dispatch_uid="dashboard-team-members")
