"""What the caller may do with a certificate: the client's ``CertificatePermissions``, from the
access policy (profiles/access.py: grants, profiles open to every account, the administrator
role, and on the certificate itself its owner, its team, the self and proof-of-possession
permissions), for any number of certificates in a few queries.

``<workflow>`` is true when the caller holds ``perform`` there (it executes at once),
``request<Workflow>`` when a submission is accepted at all. The workflow itself still checks
the certificate's state (a revoked certificate cannot be revoked again).
"""

from certificates.models import Certificate
from profiles.access import Caller
from profiles.models import GrantLevel

WORKFLOWS = ["enroll", "revoke", "update", "recover", "migrate", "renew"]


class CertificatePermissions:
    def __init__(self, user, certificates=None):
        """``certificates``: those the answers will be about, when known (fewer rows read)."""
        profiles = None
        if certificates is not None:
            profiles = {c.profile_id for c in certificates if c.profile_id is not None}
        self.caller = Caller.of(user, profiles)

    def on(self, certificate: Certificate) -> dict:
        levels = self.caller.certificate_levels(certificate)
        body = {}
        for workflow in WORKFLOWS:
            held = levels[workflow]
            body[workflow] = held == GrantLevel.PERFORM
            body["request" + workflow.capitalize()] = held is not None
        return body
