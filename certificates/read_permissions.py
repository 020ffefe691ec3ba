"""What the caller may do with a certificate: the client's ``CertificatePermissions``, from the
caller's levels on the certificate's profile (profiles/access.py: grants, profiles open to every
account, the administrator role), for any number of certificates in two queries.

``<workflow>`` is true with a ``perform`` grant (it executes at once), ``request<Workflow>``
with any grant (a submission is accepted). The workflow itself still checks the certificate's
state (a revoked certificate cannot be revoked again).
"""

from certificates.models import Certificate
from profiles.access import held_levels
from profiles.models import GrantLevel

WORKFLOWS = ["enroll", "revoke", "update", "recover", "migrate", "renew"]


class CertificatePermissions:
    def __init__(self, user):
        self.levels = held_levels(user)

    def on(self, certificate: Certificate) -> dict:
        body = {}
        for workflow in WORKFLOWS:
            held = self.levels.get((certificate.profile_id, workflow))
            body[workflow] = held == GrantLevel.PERFORM
            body["request" + workflow.capitalize()] = held is not None
        return body
