"""Enabled profiles kept in memory, per process, for the request hot path.

A submission needs its profile with the CA, default team, password policy and three rule
tables: five queries' worth of ORM work, the largest part of a submit. Here that becomes one
query reading the configuration revision (profiles/revision.py); the profile is loaded again
only when the revision changed. Each caller gets its own copy (unpickled), so nothing one
request does to its profile reaches another.
"""

import pickle

from profiles import revision
from profiles.models import Profile

RELATED = ("ca", "ca__parent", "team_default", "password_policy")
RULES = ("subject_rules", "san_rules", "label_rules", "team_whitelist")
# The CA's CRL state changes with every revocation: never cached, loaded when read.
DEFERRED = tuple(
    f"{ca}__{field}"
    for ca in ("ca", "ca__parent")
    for field in sorted(revision.REVISED_MODELS["certificates.CertificateAuthority"])
)
MAX_ENTRIES = 256

_profiles: dict[tuple[str, str], tuple[str, bytes]] = {}


def load_profile(name: str, module: str) -> Profile | None:
    return (
        Profile.objects.enabled()
        .select_related(*RELATED)
        .defer(*DEFERRED)
        .prefetch_related(*RULES)
        .filter(name=name, module=module)
        .first()
    )


def enabled_profile(name: str, module: str) -> Profile | None:
    """The enabled profile ``name`` of ``module`` with its related rows and rules, or None."""
    token = revision.current()
    key = (name, module)
    cached = _profiles.get(key)
    if token is not None and cached is not None and cached[0] == token:
        return pickle.loads(cached[1])  # noqa: S301 - bytes this process pickled itself
    profile = load_profile(name, module)
    if profile is not None and token is not None:
        if len(_profiles) >= MAX_ENTRIES:
            _profiles.clear()
        _profiles[key] = (token, pickle.dumps(profile))
    return profile
