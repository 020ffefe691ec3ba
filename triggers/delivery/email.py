"""Email triggers (Horizon's EmailNotification): recipients taken from the event's dictionary,
title and body rendered from the trigger's template, the certificate attached when asked.

Recipient types, and the dictionary keys (``triggers.dictionary``) they read:
``static`` (its ``email``), ``requester``, ``approver``, ``contact`` (the request's or
certificate's contact email), ``certificate_owner``, ``team_contact`` and ``team_manager``
(the team's contact address and its managers), ``label`` (the address held by the named
label), ``certificate_rfc822name`` (the certificate's email SANs), ``lifecycle_operators``
(who may decide on the profile's requests). A mail never carries a secret: a PKCS#12 is
handed over on the request's page only, so ``attachPkcs12`` is refused when the trigger is
saved.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from django.conf import settings
from django.core.mail import EmailMessage, mailers

from triggers.templating import render

RECIPIENT_KEYS = {
    "requester": ("request.requester.email",),
    "approver": ("request.approver.email",),
    "contact": ("request.contactEmail", "certificate.contactEmail"),
    "certificate_owner": ("certificate.owner.email",),
    "team_contact": ("team.contactEmail",),
    "team_manager": ("team.managers.emails",),
    "certificate_rfc822name": ("certificate.rfc822Names",),
    "lifecycle_operators": ("profile.operators.emails",),
}


@dataclass
class EmailReport:
    ok: bool
    detail: str
    recipients: list[str]


def recipients(template: Mapping, dictionary: Mapping[str, object]) -> list[str]:
    found: list[str] = []
    for recipient in template.get("to") or []:
        kind = recipient.get("type")
        if kind == "static":
            values: list[object] = [recipient.get("email")]
        elif kind == "label":
            values = [dictionary.get(f"labels.{recipient.get('label')}")]
        else:
            values = [dictionary.get(key) for key in RECIPIENT_KEYS.get(kind, ())]
        for value in values:
            for address in value if isinstance(value, list | tuple) else [value]:
                if isinstance(address, str) and "@" in address and address not in found:
                    found.append(address)
    return found


def _attachments(
    definition: Mapping, dictionary: Mapping[str, object]
) -> list[tuple[str, str | bytes, str]]:
    pem = dictionary.get("certificate.pem")
    if not isinstance(pem, str) or not pem:
        return []
    chain = str(dictionary.get("certificate.chainPem") or "")
    serial = dictionary.get("certificate.serial") or "certificate"
    certificate = x509.load_pem_x509_certificate(pem.encode())
    bundle = (
        [certificate, *x509.load_pem_x509_certificates(chain.encode())] if chain else [certificate]
    )
    files: list[tuple[str, str | bytes, str]] = []
    if definition.get("attachPemCertificate"):
        files.append((f"{serial}.pem", pem, "application/x-pem-file"))
    if definition.get("attachPemBundle"):
        files.append((f"{serial}-bundle.pem", pem + chain, "application/x-pem-file"))
    if definition.get("attachDerCertificate"):
        files.append(
            (f"{serial}.der", certificate.public_bytes(Encoding.DER), "application/pkix-cert")
        )
    if definition.get("attachPkcs7"):
        files.append(
            (
                f"{serial}.p7b",
                pkcs7.serialize_certificates([certificate], Encoding.DER),
                "application/pkcs7-mime",
            )
        )
    if definition.get("attachPkcs7Bundle"):
        files.append(
            (
                f"{serial}-bundle.p7b",
                pkcs7.serialize_certificates(bundle, Encoding.DER),
                "application/pkcs7-mime",
            )
        )
    return files


def deliver(definition: Mapping, dictionary: Mapping[str, object]) -> EmailReport:
    template = definition.get("emailTemplate") or {}
    to = recipients(template, dictionary)
    if not to:
        return EmailReport(False, "no recipient has an email address for this event", [])
    is_html = bool(template.get("isHtml"))
    # One header line: a value with a line break cannot add headers (or fail the send).
    subject = render(template.get("title"), dictionary, "header").replace("\n", " ")[:250]
    body = render(template.get("body"), dictionary, "html" if is_html else "text")
    # The template names the sender; the address stays the portal's own (DEFAULT_FROM_EMAIL).
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    shown = render(template.get("from"), dictionary, "header")[:100] or name
    sender = formataddr((shown, address))
    messages = []
    for address in to:  # one mail each: recipients do not learn each other's addresses
        message = EmailMessage(subject, body, sender, [address])
        if is_html:
            message.content_subtype = "html"
        for name, content, mimetype in _attachments(definition, dictionary):
            message.attach(name, content, mimetype)
        messages.append(message)
    try:
        sent = mailers.default.send_messages(messages) or 0
    except Exception as exc:  # SMTP refusals, connection errors: recorded on the run
        # The type and SMTP code only: the message may quote addresses.
        code = getattr(exc, "smtp_code", None)
        detail = f"mail not sent: {type(exc).__name__}" + (f" (SMTP {code})" if code else "")
        return EmailReport(False, detail, to)
    # The result names no address: whoever may read the request reads it.
    return EmailReport(True, f"sent to {sent} recipient(s)", to)
