"""ACME enroll: an ACME order's finalization (acme_server/orders.py) filed as a portal request.

The order's names were validated by the ACME server (RFC 8555 §7.5) and its CSR checked to
name exactly them; here the request meets the profile like a WebRA decentralized enrollment
does — subject and SAN rules, key types, holder limits — and, filed by the ACME account's
principal, the grants decide whether it is issued at once or waits for an approver. The
certificate's owner is the account's user, if any; its team the account's team, if any (an
administrator bound the key to it), else the profile's default.
"""

import dataclasses

from certificates.pki.keys import key_type_of
from certificates.services import ensure_ca_can_issue
from profiles.access import ACME_ATTRIBUTE
from raportal.callers import Principal, has_account
from raportal.errors import invalid_request
from requests_app.workflows import keys
from requests_app.workflows import requested_template as requested
from requests_app.workflows.base import Body, Prepared, Target, filed_profile
from requests_app.workflows.enroll import EnrollWorkflow, _prepared
from requests_app.workflows.holder_limit import reject_if_over_limit


class AcmeEnrollWorkflow(EnrollWorkflow):
    module = "acme"
    name = "enroll"

    def resolve(self, data: Body, user: Principal) -> Target:
        if getattr(user, ACME_ATTRIBUTE, None) is None:
            # Only the ACME server files these, once it validated the names (RFC 8555 §7.5).
            raise invalid_request(
                "acme/enroll requests are made by ACME clients, at /acme/<profile>/directory"
            )
        return super().resolve(data, user)

    def prepare_submission(self, data: Body, target: Target, user: Principal) -> Prepared:
        profile = filed_profile(target.profile)
        ensure_ca_can_issue(profile.ca)
        template = data["template"]
        csr = keys.load_request_csr(template["csr"])
        key_type = key_type_of(csr.public_key())
        keys.check_key_type(key_type, profile, field="csr")
        checked = requested.check_for_requester(
            profile, {"subject": template["subject"], "sans": template["sans"]}, user, csr=csr
        )
        binding = getattr(user, ACME_ATTRIBUTE, None)
        team = binding.team if binding is not None and binding.team is not None else checked.team
        owner = user if has_account(user) else None
        checked = dataclasses.replace(checked, owner=owner, team=team)
        prepared = _prepared(profile, checked, csr=csr, key_type=key_type, password=None)
        reject_if_over_limit(profile, prepared.data["identity"].holder_id)
        return prepared
