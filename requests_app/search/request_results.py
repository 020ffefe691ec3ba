"""One request search result: the client's ``RequestSearchResult`` (``_id``, module, workflow,
status, profile, requesterComment, certificateId, certificate, dn, holderId, permissions),
plus the other columns Horizon lets a search sort by (requester, dates…), which the client
ignores. Never a secret: no template, no PKCS#12, no password, no key, no challenge."""

from certificates.outputs import certificate_json, epoch_ms
from requests_app.models import Request
from requests_app.search.scopes import RequestPermissions

# What a page of results reads, in one query.
RELATED = (
    "profile",
    "requester",
    "approver",
    "owner",
    "team",
    "certificate__profile",
    "certificate__owner",
    "certificate__team",
    "certificate__escrowed_key",
)
# Sealed blobs stay in the database: results never show them.
DEFERRED = (
    "sealed_password",
    "sealed_pkcs12",
    "sealed_key",
    "challenge_hash",
    "challenge_tag",
    "certificate__escrowed_key__sealed_key",
)


def search_result_json(request: Request, permissions: RequestPermissions) -> dict:
    def username(user):
        return user.get_username() if user is not None else None

    return {
        "_id": str(request.pk),
        "module": request.module,
        "workflow": request.workflow,
        "status": request.contract_status,  # never "expired": see Status.EXPIRED
        "profile": request.profile.name if request.profile else None,
        "requester": request.requester_name,
        "approver": username(request.approver),
        "owner": username(request.owner),
        "team": request.team.name if request.team else None,
        "contact": request.contact_email or None,
        "requesterComment": request.requester_comment or None,
        "approverComment": request.approver_comment or None,
        "dn": request.dn or None,
        "holderId": request.holder_id or None,
        "registrationDate": epoch_ms(request.created_at),
        "lastModificationDate": epoch_ms(request.updated_at),
        "expirationDate": epoch_ms(request.expires_at),
        "labels": request.labels,
        "certificateId": str(request.certificate_id) if request.certificate_id else None,
        "certificate": (certificate_json(request.certificate) if request.certificate else None),
        "permissions": permissions.on(request),
    }
