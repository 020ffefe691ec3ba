"""OCSP (RFC 6960, profiled by RFC 5019): reading a request, signing an answer with a
delegated responder, and the responder's certificate. Pure crypto: no database."""

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from certificates.pki import signing

# The CertID hashes answered (RFC 6960 §4.1.1; RFC 5019 §2.1.1 requires SHA-1, most clients
# now send SHA-256). cryptography's builder signs CertIDs with these.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
# RFC 8954 §2.1: a nonce of 1 to 32 octets; a request with another is malformed.
MAX_NONCE = 32


class MalformedRequest(ValueError):
    """The body is not an OCSPRequest we can answer (RFC 6960 §2.3 malformedRequest)."""


@dataclass(frozen=True)
class Question:
    """The one CertID a request asks about (RFC 6960 §4.1.1) and its nonce."""

    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial: int
    algorithm: hashes.HashAlgorithm
    nonce: bytes | None


@dataclass(frozen=True)
class Status:
    """What the responder says of a certificate (RFC 6960 §2.2)."""

    kind: ocsp.OCSPCertStatus
    revoked_at: dt.datetime | None = None
    reason: x509.ReasonFlags | None = None

    def token(self) -> str:
        """Changes whenever the answer would: part of the cache key of a signed answer."""
        if self.kind is ocsp.OCSPCertStatus.REVOKED:
            assert self.revoked_at is not None
            reason = self.reason.value if self.reason else ""
            return f"revoked-{int(self.revoked_at.timestamp())}-{reason}"
        return self.kind.name.lower()


GOOD = Status(ocsp.OCSPCertStatus.GOOD)
UNKNOWN = Status(ocsp.OCSPCertStatus.UNKNOWN)


def read_request(der: bytes) -> Question:
    """The CertID and nonce of a DER OCSPRequest. Several CertIDs in one request are refused
    as malformed (cryptography reads one only; clients send one, as RFC 5019 §2.1.1 asks).
    A signed request's signature (optional, §4.1.2) is not checked: answers are public."""
    try:
        request = ocsp.load_der_ocsp_request(der)
        algorithm = request.hash_algorithm
        extensions = request.extensions
    except (ValueError, UnsupportedAlgorithm, NotImplementedError) as error:
        # NotImplementedError: more than one CertID in the request.
        raise MalformedRequest(str(error)) from None
    if algorithm.name not in HASHES:
        raise MalformedRequest(f"CertID hash {algorithm.name} is not supported")
    nonce = None
    for extension in extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            nonce = extension.value.nonce
            if not 1 <= len(nonce) <= MAX_NONCE:
                raise MalformedRequest("the nonce must be 1 to 32 octets (RFC 8954 §2.1)")
    return Question(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial=request.serial_number,
        algorithm=algorithm,
        nonce=nonce,
    )


def issuer_hashes(ca_cert: x509.Certificate, algorithm_name: str) -> tuple[bytes, bytes]:
    """issuerNameHash and issuerKeyHash of a CertID naming ``ca_cert`` (RFC 6960 §4.1.1):
    the hashes of its DER subject and of the value of its subjectPublicKey BIT STRING."""
    name = hashes.Hash(HASHES[algorithm_name]())
    name.update(ca_cert.subject.public_bytes())
    key = hashes.Hash(HASHES[algorithm_name]())
    key.update(subject_public_key_bits(ca_cert))
    return name.finalize(), key.finalize()


def subject_public_key_bits(certificate: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's octets (no tag, length nor unused-bits octet) of
    the SubjectPublicKeyInfo SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey }."""
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    _, body = _der_item(spki, 0)  # the SEQUENCE's contents
    after_algorithm, _ = _der_item(spki, body)
    _, bits = _der_item(spki, after_algorithm)
    return spki[bits + 1 : len(spki)]  # the BIT STRING ends the SPKI


def _der_item(der: bytes, offset: int) -> tuple[int, int]:
    """(offset after the item, offset of its contents) of the DER item at ``offset``."""
    length = der[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[start : start + count], "big")
        start += count
    return start + length, start


def sign_response(
    question: Question,
    status: Status,
    *,
    responder_cert: x509.Certificate,
    responder_key,
    this_update: dt.datetime,
    validity: dt.timedelta,
    nonce: bytes | None,
) -> ocsp.OCSPResponse:
    """A successful BasicOCSPResponse (RFC 6960 §4.2.1) about ``question``'s CertID, echoed
    as asked (same hash), signed by the delegated responder, whose certificate it carries
    (§4.2.2.2: clients check it was issued by the CA); ``nonce`` echoed when given."""
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=question.issuer_name_hash,
            issuer_key_hash=question.issuer_key_hash,
            serial_number=question.serial,
            algorithm=question.algorithm,
            cert_status=status.kind,
            this_update=this_update,
            next_update=this_update + validity,
            revocation_time=status.revoked_at,
            revocation_reason=status.reason,
        )
        # RFC 5019 §2.2.2: byKey, the hash of the responder's public key.
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert)
        .certificates([responder_cert])
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(responder_key, signing.signature_hash(responder_key))


def unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    """An OCSPResponse without responseBytes (RFC 6960 §2.3): unsigned, as the RFC has it."""
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)


def responder_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def sign_responder(
    *,
    ca_cert: x509.Certificate,
    ca_key,
    public_key,
    subject: x509.Name,
    validity: dt.timedelta,
    ca_issuers_url: str,
) -> x509.Certificate:
    """A delegated OCSP responder certificate (RFC 6960 §4.2.2.2): issued by the CA it answers
    for, extendedKeyUsage id-kp-OCSPSigning, and id-pkix-ocsp-nocheck (§4.2.2.2.1) so that
    clients do not ask about the responder itself — hence short-lived, and no CRL pointer."""
    start, end = signing.leaf_validity(ca_cert, validity, signing.BACKDATE)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(responder_key_usage(), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(signing.authority_key_id(ca_cert), critical=False)
        .add_extension(signing.authority_info_access(ca_issuers_url), critical=False)
        .sign(ca_key, signing.signature_hash(ca_key))
    )
