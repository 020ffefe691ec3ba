"""Our audit actions in Horizon's terms: its EventCode, EventModule and status, in one table.

An action (``request.approve.enroll``, ``team.members.add``…) takes the entry of its longest
dotted prefix in ``ACTIONS``: ``request.approve`` covers every workflow's approval. Every
action the code records has an entry of its own (tests/raportal/test_event_codes.py walks
the ``record(…)`` calls); ``horizon_terms`` still answers for an action it does not know —
an old row, a newer version's action — with ``FALLBACK``, rather than failing a search.
"""

from typing import NamedTuple


class Terms(NamedTuple):
    code: str  # horizon.models.EventCode
    module: str  # horizon.models.EventModule
    status: str = "success"  # success | warning | failure


CONF, SEC = "configuration", "security"
FALLBACK = Terms("CONF-UPDATE", CONF)

ACTIONS: dict[str, Terms] = {
    # Requests and what they do to certificates (the webra module).
    "request.submit": Terms("REQUEST-SUBMIT", "webra"),
    "request.approve": Terms("REQUEST-APPROVE", "webra"),
    "request.approval": Terms("REQUEST-APPROVE", "webra"),  # one approval of several
    "request.approval_recorded": Terms("REQUEST-APPROVE", "webra"),  # dual control: 1 of N
    "request.deny": Terms("REQUEST-DENY", "webra"),
    "request.cancel": Terms("REQUEST-CANCEL", "webra"),
    "request.expire": Terms("REQUEST-CANCEL", "webra"),
    "request.purge": Terms("SCHEDULED-TASK-COMPLETE", "scheduler"),
    "request.secrets.delivered": Terms("LIFECYCLE-ESCROW", "webra"),
    "request.challenge.redeem": Terms("LIFECYCLE-ENROLL", "webra"),
    "certificate.issue": Terms("LIFECYCLE-ENROLL", "webra"),
    "certificate.revoke": Terms("LIFECYCLE-REVOKE", "webra"),
    "certificate.recover": Terms("LIFECYCLE-RECOVER", "webra"),
    "certificate.update": Terms("LIFECYCLE-UPDATE", "webra"),
    "certificate.migrate": Terms("LIFECYCLE-MIGRATE", "webra"),
    "certificate.renew": Terms("LIFECYCLE-RENEW", "webra"),
    "certificate.import": Terms("SYNC-ENROLL", "thirdparty"),
    "certificate.discover": Terms("SYNC-ENROLL", "thirdparty"),
    "certificate.expiry_notice": Terms("TRIGGER-EMAIL", "scheduler"),
    # Certificate authorities and their trust entries (Horizon's CA configuration).
    "ca.create": Terms("CONF-ADD", "ca"),
    "ca.register": Terms("CONF-ADD", "ca"),
    "ca.entry.add": Terms("CONF-ADD", "ca"),
    "ca.entry.update": Terms("CONF-UPDATE", "ca"),
    "ca.entry.delete": Terms("CONF-DELETE", "ca"),
    "ca.connector.delete": Terms("CONF-DELETE", "ca"),
    "ca.settings": Terms("CONF-UPDATE", "ca"),
    "ca.certificate": Terms("CONF-UPDATE", "ca"),
    "ca.key": Terms("CONF-UPDATE", "ca"),
    "ca.key.export": Terms("CONF-UPDATE", "ca", "warning"),  # a key left the portal (sealed)
    "ca.delete": Terms("CONF-DELETE", "ca"),
    "ca.crl": Terms("CA-CRL-UPDATE", "ca"),
    # A CA's delegated OCSP responder certificate, issued or renewed (RFC 6960 §4.2.2.2).
    "ocsp.responder.issue": Terms("CONF-ADD", "ca"),
    "scep.ra.create": Terms("CONF-ADD", "scep"),
    # Configuration: profiles, labels, discovery campaigns.
    "profile.create": Terms("CONF-ADD", CONF),
    "profile.clone": Terms("CONF-ADD", CONF),
    "profile.update": Terms("CONF-UPDATE", CONF),
    "profile.enable": Terms("CONF-UPDATE", CONF),
    "profile.disable": Terms("CONF-UPDATE", CONF),
    "profile.delete": Terms("CONF-DELETE", CONF),
    "profile.grants": Terms("SEC-AUTHORIZATION-UPDATE", SEC),
    "label.create": Terms("CONF-ADD", CONF),
    "label.update": Terms("CONF-UPDATE", CONF),
    "label.delete": Terms("CONF-DELETE", CONF),
    "campaign.create": Terms("CONF-ADD", CONF),
    "campaign.update": Terms("CONF-UPDATE", CONF),
    "campaign.enable": Terms("CONF-UPDATE", CONF),
    "campaign.disable": Terms("CONF-UPDATE", CONF),
    "campaign.delete": Terms("CONF-DELETE", CONF),
    "campaign.flush": Terms("DISCOVERY-CAMPAIGN-FLUSH", CONF),
    # Triggers (notifications) and what they sent.
    "trigger.create": Terms("CONF-ADD", CONF),
    "trigger.update": Terms("CONF-UPDATE", CONF),
    "trigger.delete": Terms("TRIGGER-DELETE", CONF),
    "trigger.rotate_secret": Terms("CONF-UPDATE", CONF),
    "trigger.test": Terms("TRIGGER-NOTIFICATION", "event"),
    "trigger": Terms("TRIGGER-NOTIFICATION", "event"),
    "notification": Terms("TRIGGER-EMAIL", "event"),
    "notification.failed": Terms("TRIGGER-EMAIL", "event", "failure"),
    # Security: accounts, API keys, teams, authorizations, authentication.
    "account.create": Terms("SEC-LOCAL-IDENTITY-ADD", SEC),
    "user": Terms("SEC-LOCAL-IDENTITY-UPDATE", SEC),
    "user.password": Terms("SEC-LOCAL-IDENTITY-RESET", SEC),
    "localidentity.create": Terms("SEC-LOCAL-IDENTITY-ADD", SEC),
    "localidentity.update": Terms("SEC-LOCAL-IDENTITY-UPDATE", SEC),
    "localidentity.delete": Terms("SEC-LOCAL-IDENTITY-DELETE", SEC),
    "localidentity.password": Terms("SEC-LOCAL-IDENTITY-RESET", SEC),
    "apicredential.create": Terms("SEC-LOCAL-IDENTITY-ADD", SEC),
    "apicredential": Terms("SEC-LOCAL-IDENTITY-UPDATE", SEC),
    "apicredential.regenerate": Terms("SEC-LOCAL-IDENTITY-RESET", SEC),
    "apicredential.revoke": Terms("SEC-LOCAL-IDENTITY-DELETE", SEC),
    "passwordpolicy.create": Terms("SEC-PASSWORD-POLICY-ADD", SEC),
    "passwordpolicy.update": Terms("SEC-PASSWORD-POLICY-UPDATE", SEC),
    "passwordpolicy.delete": Terms("SEC-PASSWORD-POLICY-DELETE", SEC),
    "passwordpolicy": Terms("SEC-PASSWORD-POLICY-UPDATE", SEC),
    "principalinfo.create": Terms("SEC-AUTHORIZATION-ADD", SEC),
    "principalinfo.update": Terms("SEC-AUTHORIZATION-UPDATE", SEC),
    "principalinfo.delete": Terms("SEC-AUTHORIZATION-DELETE", SEC),
    "team.create": Terms("SEC-TEAM-ADD", SEC),
    "team.update": Terms("SEC-TEAM-UPDATE", SEC),
    "team.delete": Terms("SEC-TEAM-DELETE", SEC),
    "team.members": Terms("SEC-TEAM-UPDATE", SEC),
    "team.grants": Terms("SEC-AUTHORIZATION-UPDATE", SEC),
    "auth.failures": Terms("SEC-AUTHENTICATION", SEC, "warning"),
    # ACME (RFC 8555): accounts and the External Account Binding keys made for them.
    "acme.account.create": Terms("ACME-ACCOUNT-REGISTER", "acme"),
    "acme.account.update": Terms("ACME-ACCOUNT-UPDATE", "acme"),
    "acme.account.deactivate": Terms("ACME-ACCOUNT-UPDATE", "acme"),
    "acme.account.key_change": Terms("ACME-ACCOUNT-KEY-CHANGE", "acme"),
    "acme.challenge.respond": Terms("ACME-CHALLENGE-REQUEST-VERIFY", "acme"),
    "acme.challenge.verify": Terms("ACME-CHALLENGE-VERIFY", "acme"),
    "acme.authorization.deactivate": Terms("ACME-AUTHORIZATION-DEACTIVATE", "acme"),
    "acme.eab.create": Terms("CONF-ADD", "acme"),
    "acme.eab.delete": Terms("CONF-DELETE", "acme"),
    # The audit log's own upkeep.
    "event.purge": Terms("SCHEDULED-TASK-COMPLETE", "event"),
}


def explicit_terms(action: str) -> Terms | None:
    """The entry of the longest dotted prefix of ``action`` in ``ACTIONS``, if any."""
    parts = action.split(".")
    for end in range(len(parts), 0, -1):
        terms = ACTIONS.get(".".join(parts[:end]))
        if terms is not None:
            return terms
    return None


def horizon_terms(action: str, detail: dict | None = None) -> Terms:
    """Horizon's code, module and status for an event. A device's enrollment names its
    protocol's module (est, scep); a failed outcome in the detail makes it a failure."""
    terms = explicit_terms(action) or FALLBACK
    detail = detail or {}
    protocol = detail.get("protocol")
    if terms.module == "webra" and protocol in ("est", "scep"):
        terms = terms._replace(module=protocol)
    if detail.get("status") == "failed" and terms.status == "success":
        terms = terms._replace(status="failure")
    return terms
