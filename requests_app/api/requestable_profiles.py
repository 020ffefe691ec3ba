"""``GET /api/v1/requests/profiles`` (or POST, the same query in a JSON body): the enabled
profiles the caller may request on (a grant, a profile open to every account, or the
administrator role: profiles/access.py), in the client's
``RequestableCertificateProfileResponse`` shape.

Per profile, ``workflows`` lists each workflow the caller holds a grant for: ``request`` is
true with any grant (a submission is accepted), ``perform`` with a ``perform`` grant (it
executes at once). ``import`` is left out: the client's ``RequestableWorkflow`` has no such
workflow. ``?module=`` and ``?workflow=`` keep the profiles of that module, and those where
the caller holds a grant on that workflow.
"""

from collections import defaultdict
from typing import Any

from profiles.access import Caller
from profiles.models import GrantLevel, PasswordPolicy, Profile, Workflow
from raportal.callers import Principal

LISTED_WORKFLOWS = [w for w in Workflow.values if w != Workflow.IMPORT]


def requestable_profiles(
    user: Principal, module: str | None, workflow: str | None
) -> list[dict[str, Any]]:
    candidates = Profile.objects.enabled()
    if module:
        candidates = candidates.filter(module=module)
    levels: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (profile_id, granted_workflow), level in (
        Caller.of(user, candidates).profile_levels().items()
    ):
        levels[profile_id][granted_workflow].add(level)
    if workflow:
        levels = {pk: held for pk, held in levels.items() if workflow in held}
    profiles = (
        Profile.objects.filter(pk__in=levels).select_related("password_policy").order_by("name")
    )
    default_policy = None
    if any(profile.password_policy_id is None for profile in profiles):
        default_policy = PasswordPolicy.objects.filter(name=PasswordPolicy.DEFAULT_NAME).first()
    return [profile_json(p, levels[p.pk], p.password_policy or default_policy) for p in profiles]


def profile_json(
    profile: Profile, held: dict[str, set[str]], policy: PasswordPolicy | None
) -> dict[str, Any]:
    return {
        "name": profile.name,
        "module": profile.module,
        "displayName": _localized(profile.display_name),
        "description": _localized(profile.description),
        "workflows": [
            {
                "workflow": workflow,
                "request": True,
                "perform": GrantLevel.PERFORM in held[workflow],
            }
            for workflow in LISTED_WORKFLOWS
            if workflow in held
        ],
        "capabilities": {
            "centralized": profile.centralized,
            "decentralized": profile.decentralized,
            "defaultKeyType": profile.default_key_type or None,
            "authorizedKeyTypes": profile.authorized_key_types or None,
            # The policy PKCS#12 passwords follow here (Horizon-Default unless set).
            "passwordPolicy": policy.as_json() if policy else None,
            "p12passwordMode": profile.p12_password_mode,
        },
    }


def _localized(text: str) -> list[dict[str, str]] | None:
    return [{"lang": "en", "value": text}] if text else None
