"""What the caller may do with a certificate: the client's ``CertificatePermissions``, from the
caller's grants on the certificate's profile, for any number of certificates in one query.

``<workflow>`` is true with a ``perform`` grant (it executes at once), ``request<Workflow>``
with any grant (a submission is accepted). The workflow itself still checks the certificate's
state (a revoked certificate cannot be revoked again).
"""

from collections import defaultdict

from certificates.models import Certificate
from profiles.models import Grant, GrantLevel

WORKFLOWS = ["enroll", "revoke", "update", "recover", "migrate", "renew"]


class CertificatePermissions:
    def __init__(self, user):
        self.levels: dict[tuple[int, str], set[str]] = defaultdict(set)
        for profile_id, workflow, level in Grant.objects.for_user(user).values_list(
            "profile_id", "workflow", "level"
        ):
            self.levels[(profile_id, workflow)].add(level)

    def on(self, certificate: Certificate) -> dict:
        body = {}
        for workflow in WORKFLOWS:
            held = self.levels.get((certificate.profile_id, workflow), set())
            body[workflow] = GrantLevel.PERFORM in held
            body["request" + workflow.capitalize()] = bool(held)
        return body
