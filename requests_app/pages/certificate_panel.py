"""What the request app adds to a certificate's page (certificates/extensions.py; certificates
import nothing from here): the key the portal generated for it when it waits for the viewer,
what the viewer may ask for about it, how a device enrolled for it (EST or SCEP), and the
requests made on it that the viewer may see."""

from certificates.extensions import CertificateExtension, PagePart, register
from certificates.models import Certificate
from requests_app.models import Request
from requests_app.pages.actions import available_actions
from requests_app.pages.enrollment import certificate_enrollment

SHOWN_REQUESTS = 20  # the newest; the request list finds the others


def page_parts(user, certificate: Certificate) -> list[PagePart]:
    parts = []
    mine = Request.objects.with_secrets_for(user).filter(certificate=certificate)
    key_waiting = mine.only("pk").first()
    if key_waiting is not None:
        parts.append(
            PagePart("notice", "requests/certificate_key.html", {"key_waiting": key_waiting})
        )
    # Whoever may see the certificate may see how it was issued, even without seeing the
    # request that issued it (a device's owner, a team member): its protocol, address, date.
    enrollment = certificate_enrollment(certificate)
    if enrollment is not None:
        parts.append(
            PagePart("main", "requests/certificate_enrollment.html", {"enrollment": enrollment})
        )
    actions = available_actions(user, certificate)
    offered = [action for action in actions if action.allowed]
    unavailable = [action for action in actions if not action.allowed]
    parts.append(
        PagePart(
            "actions",
            "requests/certificate_actions.html",
            {"actions": actions, "offered": offered, "unavailable": unavailable},
        )
    )
    requests = list(
        Request.objects.visible_to(user)
        .filter(certificate=certificate)
        .select_related("requester")
        .order_by("-created_at")[:SHOWN_REQUESTS]
    )
    if requests:
        parts.append(PagePart("side", "requests/certificate_requests.html", {"requests": requests}))
    return parts


def register_panel() -> None:
    register(CertificateExtension(name="requests", page=page_parts))
