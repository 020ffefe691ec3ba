"""The events a trigger runs on, in Horizon's names, and where a profile lists its triggers.

A trigger runs on one event (Horizon: ``events`` "MUST contain only one value"). A profile
lists trigger names per event in ``CertificateProfileTriggers`` (``onSubmitEnroll`` …), which
is ``on_submit_enroll`` in camelCase. What each event means here:

- ``on_<workflow>``: the workflow was carried out (a certificate issued, revoked, recovered…),
  at once by a caller holding ``perform``, on approval, or when a device spent its challenge;
- ``on_submit_<workflow>``: a request was submitted and waits for a decision;
- ``on_approve_<workflow>`` / ``on_deny_<workflow>`` / ``on_cancel_<workflow>``: a pending
  request was approved, denied or withdrawn;
- ``on_pending_<workflow>``: repeated every ``runPeriod`` while a request stays pending;
- ``on_expire``: ``runPeriod`` before a certificate's notAfter (``30 days``).
"""

WORKFLOWS = ("enroll", "renew", "revoke", "update", "recover", "migrate", "import")
STEPS = ("", "submit_", "approve_", "deny_", "cancel_", "pending_")

# Every event a profile may name, in Horizon's order of CertificateProfileTriggers.
REQUEST_EVENTS = tuple(f"on_{step}{workflow}" for workflow in WORKFLOWS for step in STEPS)
EXPIRE = "on_expire"
TEST = "on_test"
PROFILE_EVENTS = (*REQUEST_EVENTS, EXPIRE)
# Events that repeat on a schedule: their triggers carry a runPeriod (and only they do).
PERIODIC_EVENTS = frozenset({EXPIRE, *(f"on_pending_{w}" for w in WORKFLOWS)})


def profile_key(event: str) -> str:
    """``on_submit_enroll`` → ``onSubmitEnroll`` (the key in CertificateProfileTriggers)."""
    head, *rest = event.split("_")
    return head + "".join(part.capitalize() for part in rest)


PROFILE_KEYS = {profile_key(event): event for event in PROFILE_EVENTS}


def event_of(step: str, workflow: str) -> str | None:
    """The event of a request ``step`` (``done``, ``submit``, ``approve``, ``deny``,
    ``cancel``, ``pending``) on ``workflow``; None for a workflow without events."""
    if workflow not in WORKFLOWS:
        return None
    return f"on_{workflow}" if step == "done" else f"on_{step}_{workflow}"
