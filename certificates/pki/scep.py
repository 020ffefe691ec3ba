"""SCEP messages (RFC 8894 §3): reading a device's pkiMessage and writing the RA's CertRep.

A pkiMessage is a CMS SignedData (RFC 5652 §5) whose signed attributes carry the SCEP fields
(§3.2.1.2) and whose content, when there is one, is an EnvelopedData (RFC 5652 §6) encrypted
to the RA: the CSR, or what a poll or a query names. asn1crypto reads and writes the CMS
structures; cryptography does every cryptographic operation. What neither library does —
checking the SignerInfo's signature over its signed attributes (RFC 5652 §5.4), opening an
envelope made with DES (micromdm's scepclient envelopes with DES-CBC), writing a SignerInfo
with SCEP's attributes — is written here, with the sections cited.
"""

import os
import re
from dataclasses import dataclass

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

# §3.2.1.2: the SCEP attributes, registered with asn1crypto so that it reads and writes them.
TRANSACTION_ID = "2.16.840.1.113733.1.9.7"
MESSAGE_TYPE = "2.16.840.1.113733.1.9.2"
PKI_STATUS = "2.16.840.1.113733.1.9.3"
FAIL_INFO = "2.16.840.1.113733.1.9.4"
SENDER_NONCE = "2.16.840.1.113733.1.9.5"
RECIPIENT_NONCE = "2.16.840.1.113733.1.9.6"


class _PrintableStrings(core.SetOf):
    _child_spec = core.PrintableString


class _OctetStrings(core.SetOf):
    _child_spec = core.OctetString


for _oid, _name, _spec in [
    (TRANSACTION_ID, "scep_transaction_id", _PrintableStrings),
    (MESSAGE_TYPE, "scep_message_type", _PrintableStrings),
    (PKI_STATUS, "scep_pki_status", _PrintableStrings),
    (FAIL_INFO, "scep_fail_info", _PrintableStrings),
    (SENDER_NONCE, "scep_sender_nonce", _OctetStrings),
    (RECIPIENT_NONCE, "scep_recipient_nonce", _OctetStrings),
]:
    cms.CMSAttributeType._map[_oid] = _name
    cms.CMSAttributeType._reverse_map = None  # rebuilt on next use
    cms.CMSAttribute._oid_specs[_name] = _spec


# X.680 §41.4 PrintableString: what a transactionID may hold (§3.2.1.1).
PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]+")

# §3.2.1.2 messageType values.
CERT_REP = "3"
RENEWAL_REQ = "17"
PKCS_REQ = "19"
CERT_POLL = "20"  # GetCertInitial
GET_CERT = "21"
GET_CRL = "22"

# §3.2.1.4 pkiStatus and §3.2.1.4 failInfo.
SUCCESS, FAILURE, PENDING = "0", "2", "3"
BAD_ALG, BAD_MESSAGE_CHECK, BAD_REQUEST, BAD_TIME, BAD_CERT_ID = "0", "1", "2", "3", "4"

# SHA-1 is read, as RFC 8894 §3.5.2 lets older clients use it (the challenge, not the
# signature, authenticates a PKCSReq); answers are signed with SHA-256, which GetCACaps
# announces.
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),  # noqa: S303
    "sha224": hashes.SHA224(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class ScepError(Exception):
    """A message the RA cannot act on; ``fail_info`` is what CertRep says (§3.2.1.4)."""

    def __init__(self, fail_info: str, detail: str):
        super().__init__(detail)
        self.fail_info = fail_info
        self.detail = detail


@dataclass(frozen=True)
class PkiMessage:
    message_type: str
    transaction_id: str
    sender_nonce: bytes
    signer: x509.Certificate  # the certificate whose key signed the message
    digest: str  # the digest algorithm the sender used ("sha256"…)
    envelope: bytes | None  # the pkcsPKIEnvelope (EnvelopedData ContentInfo), if any


def read_pki_message(der: bytes) -> PkiMessage:
    """Parses and verifies a pkiMessage (§3.2): SignedData, one signer whose certificate is
    in the message, signed attributes that hash the content and verify with its key."""
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise ScepError(BAD_REQUEST, "not a CMS SignedData")
        signed = info["content"]
        signer_infos = signed["signer_infos"]
        if len(signer_infos) != 1:
            raise ScepError(BAD_REQUEST, "a pkiMessage has exactly one signer")
        signer_info = signer_infos[0]
        signer = _signer_certificate(signed, signer_info)
        content = signed["encap_content_info"]["content"]
        content_bytes = content.native if content.native is not None else b""
        if isinstance(content_bytes, cms.ContentInfo):  # pragma: no cover - BER oddities
            content_bytes = content_bytes.dump()
        attributes = _attributes(signer_info)
        digest = signer_info["digest_algorithm"]["algorithm"].native
        _check_signature(signer_info, signer, attributes, content_bytes, digest)
        message_type = _one(attributes, "scep_message_type")
        transaction_id = _one(attributes, "scep_transaction_id")
        nonce = _one(attributes, "scep_sender_nonce")
    except ScepError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, UnsupportedAlgorithm) as exc:
        raise ScepError(BAD_REQUEST, f"not a readable pkiMessage ({type(exc).__name__})") from None
    if not isinstance(message_type, str) or not isinstance(transaction_id, str):
        raise ScepError(BAD_REQUEST, "messageType and transactionID are required")
    if not 0 < len(transaction_id) <= 128 or not PRINTABLE.fullmatch(transaction_id):
        raise ScepError(BAD_REQUEST, "transactionID must be 1 to 128 printable characters")
    if not isinstance(nonce, bytes) or len(nonce) != 16:
        raise ScepError(BAD_REQUEST, "senderNonce must be 16 bytes")
    return PkiMessage(
        message_type=message_type,
        transaction_id=transaction_id,
        sender_nonce=nonce,
        signer=signer,
        digest=digest,
        envelope=content_bytes or None,
    )


def _signer_certificate(signed: cms.SignedData, signer_info: cms.SignerInfo) -> x509.Certificate:
    sid = signer_info["sid"]
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        certificate = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                certificate.issuer == wanted["issuer"]
                and certificate.serial_number == wanted["serial_number"].native
            ):
                return x509.load_der_x509_certificate(certificate.dump())
        elif certificate.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(certificate.dump())
    raise ScepError(BAD_CERT_ID, "the signer's certificate is not in the message")


def _attributes(signer_info: cms.SignerInfo) -> dict[str, object]:
    found: dict[str, object] = {}
    for attribute in signer_info["signed_attrs"] or []:
        values = attribute["values"]
        found[attribute["type"].native] = values[0].native if len(values) else None
    return found


def _one(attributes: dict[str, object], name: str) -> object:
    return attributes.get(name)


def _check_signature(
    signer_info: cms.SignerInfo,
    signer: x509.Certificate,
    attributes: dict[str, object],
    content: bytes,
    digest: str,
) -> None:
    """RFC 5652 §5.4: the message digest attribute is the content's digest, and the
    signature covers the DER of the signed attributes as a SET OF (tag 0x31, not [0])."""
    algorithm = _HASHES.get(digest)
    if algorithm is None:
        raise ScepError(BAD_ALG, f"digest algorithm {digest} is not supported")
    if signer_info["signed_attrs"].native is None:
        raise ScepError(BAD_REQUEST, "a pkiMessage carries signed attributes")
    if attributes.get("message_digest") != _digest(algorithm, content):
        raise ScepError(BAD_MESSAGE_CHECK, "the message digest does not match the content")
    signed_bytes = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    signature = signer_info["signature"].native
    key = signer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed_bytes, asym_padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed_bytes, ec.ECDSA(algorithm))
        else:
            raise ScepError(BAD_ALG, "the signer's key is neither RSA nor EC")
    except InvalidSignature:
        raise ScepError(BAD_MESSAGE_CHECK, "the signature does not verify") from None


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    context = hashes.Hash(algorithm)
    context.update(data)
    return context.finalize()


# --- the envelope (RFC 5652 §6) -------------------------------------------------------------


# Content-encryption key sizes (bytes) by cipher, as asn1crypto names them.
_KEY_BYTES = {"des": 8, "tripledes": 24}


def open_envelope(
    envelope: bytes, recipients: list[tuple[x509.Certificate, rsa.RSAPrivateKey]]
) -> bytes:
    """The content of an EnvelopedData encrypted to one of ``recipients`` (the RA's current
    certificate and those it replaced, for devices that fetched GetCACert before): key
    transport with RSA PKCS#1 v1.5 or OAEP; AES, triple DES or DES in CBC mode.

    Every way the envelope fails to open — a wrong key transport, a key of the wrong length,
    bad padding — ends the same: ScepError(badMessageCheck), after the same work, so the
    answer tells nothing about the RA key (Bleichenbacher, RFC 3218 §2.3.2)."""
    try:
        info = cms.ContentInfo.load(envelope, strict=True)
        if info["content_type"].native != "enveloped_data":
            raise ScepError(BAD_REQUEST, "the pkcsPKIEnvelope is not an EnvelopedData")
        enveloped = info["content"]
        recipient_info, key = _recipient(enveloped, recipients)
        try:
            content_info = enveloped["encrypted_content_info"]
            ciphertext = content_info["encrypted_content"].native
        except ValueError:  # a constructed (BER) encryptedContent, as Go's pkcs7 writes it
            content_info = _BerEnvelopedData.load(info["content"].untag().dump())[
                "encrypted_content_info"
            ]
            ciphertext = _segments(content_info["encrypted_content"].contents)
        algorithm = content_info["content_encryption_algorithm"]
        cipher_name = algorithm.encryption_cipher
        key_bytes = _KEY_BYTES.get(cipher_name) or algorithm.key_length
        iv = algorithm.encryption_iv
    except ScepError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ScepError(
            BAD_REQUEST, f"not a readable envelope ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    if cipher_name not in ("aes", "des", "tripledes"):
        raise ScepError(BAD_ALG, f"content encryption {cipher_name} is not supported")
    if not isinstance(ciphertext, bytes) or not ciphertext or not isinstance(iv, bytes):
        raise ScepError(BAD_REQUEST, "the envelope holds no content or no IV")
    content_key = _decrypt_key(key, recipient_info, key_bytes)
    try:
        if cipher_name == "aes":
            block: algorithms.AES | TripleDES = algorithms.AES(content_key)
        else:  # single DES is triple DES with one key three times (K1 = K2 = K3)
            block = TripleDES(content_key * 3 if len(content_key) == 8 else content_key)
        decryptor = Cipher(block, modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = padding.PKCS7(block.block_size).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, TypeError):
        raise ScepError(BAD_MESSAGE_CHECK, "the envelope cannot be opened") from None


def _recipient(
    enveloped: cms.EnvelopedData, recipients: list[tuple[x509.Certificate, rsa.RSAPrivateKey]]
) -> tuple[cms.KeyTransRecipientInfo, rsa.RSAPrivateKey]:
    for certificate, key in recipients:
        ours = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
        for recipient in enveloped["recipient_infos"]:
            if recipient.name != "ktri":
                continue
            info = recipient.chosen
            rid = info["rid"]
            if rid.name == "issuer_and_serial_number":
                match = (
                    rid.chosen["issuer"] == ours.issuer
                    and rid.chosen["serial_number"].native == ours.serial_number
                )
            else:
                match = rid.chosen.native == ours.key_identifier
            if match:
                return info, key
    raise ScepError(BAD_CERT_ID, "the envelope is not encrypted to this RA's certificate")


def _decrypt_key(key: rsa.RSAPrivateKey, info: cms.KeyTransRecipientInfo, size: int) -> bytes:
    """The content-encryption key of ``size`` bytes. Whatever fails — the padding, the length
    (OpenSSL's implicit rejection returns random bytes of any length) — a random key of that
    size stands in, and the content then fails to open like any other bad envelope."""
    algorithm = info["key_encryption_algorithm"]["algorithm"].native
    encrypted = info["encrypted_key"].native
    stand_in = os.urandom(size)
    if algorithm == "rsaes_oaep":
        # RSAES-OAEP's default parameters (RFC 8017 A.2.1): SHA-1, as the sender's.
        scheme: asym_padding.AsymmetricPadding = asym_padding.OAEP(
            asym_padding.MGF1(hashes.SHA1()),  # noqa: S303
            hashes.SHA1(),  # noqa: S303
            None,
        )
    elif algorithm == "rsaes_pkcs1v15":
        scheme = asym_padding.PKCS1v15()
    else:
        raise ScepError(BAD_ALG, f"key transport {algorithm} is not supported")
    try:
        content_key = key.decrypt(encrypted, scheme)
    except ValueError:
        return stand_in
    return content_key if len(content_key) == size else stand_in


class _ConstructedOctetString(core.OctetString):
    method = 1  # the segments' TLVs are the contents (X.690 §8.7.3.2)


class _BerEncryptedContentInfo(core.Sequence):
    _fields = [
        ("content_type", cms.ContentType),
        ("content_encryption_algorithm", cms.EncryptionAlgorithm),
        ("encrypted_content", _ConstructedOctetString, {"implicit": 0, "optional": True}),
    ]


class _BerEnvelopedData(core.Sequence):
    """EnvelopedData whose encryptedContent [0] is constructed: asn1crypto reads a
    constructed implicitly tagged OCTET STRING only with an indefinite length."""

    _fields = [
        ("version", cms.CMSVersion),
        ("originator_info", cms.OriginatorInfo, {"implicit": 0, "optional": True}),
        ("recipient_infos", cms.RecipientInfos),
        ("encrypted_content_info", _BerEncryptedContentInfo),
        ("unprotected_attrs", cms.CMSAttributes, {"implicit": 1, "optional": True}),
    ]


def _segments(contents: bytes) -> bytes:
    """The octets of a constructed OCTET STRING's segments, concatenated (X.690 §8.7.3.2)."""
    octets, position = b"", 0
    while position < len(contents):
        segment = core.OctetString.load(contents[position:], strict=False)
        octets += segment.native
        position += len(segment.dump())
    return octets


def envelope(data: bytes, recipient: x509.Certificate) -> bytes:
    """An EnvelopedData of ``data`` for ``recipient`` (AES-128-CBC, RSA key transport)."""
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(data)
        .add_recipient(recipient)
        .encrypt(Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


# --- CertRep (§3.3.2) ------------------------------------------------------------------------


def cert_rep(
    *,
    ra_certificate: x509.Certificate,
    ra_key: rsa.RSAPrivateKey,
    request: PkiMessage,
    status: str,
    fail_info: str | None = None,
    certificates: list[x509.Certificate] | None = None,
    crl: bytes | None = None,
) -> bytes:
    """The RA's answer: SUCCESS with the certificates (or CRL) enveloped to the requester's
    signing certificate, FAILURE with failInfo, or PENDING; signed by the RA."""
    content = b""
    if status == SUCCESS:
        inner = _degenerate(certificates or [], crl)
        content = envelope(inner, request.signer)
    scep_attributes: dict[str, object] = {
        "scep_transaction_id": request.transaction_id,
        "scep_message_type": CERT_REP,
        "scep_pki_status": status,
        "scep_sender_nonce": os.urandom(16),
        "scep_recipient_nonce": request.sender_nonce,
    }
    if status == FAILURE:
        scep_attributes["scep_fail_info"] = fail_info or BAD_REQUEST
    return signed_message(content, ra_certificate, ra_key, scep_attributes)


def signed_message(
    content: bytes,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    scep_attributes: dict[str, object],
) -> bytes:
    """A pkiMessage (§3.2): ``content`` (an envelope, or nothing) in a SignedData signed by
    ``key`` over the SCEP attributes, with SHA-256 (announced in GetCACaps)."""
    digest = "sha256"
    algorithm = _HASHES[digest]
    attributes = [
        _attribute("content_type", "data"),
        _attribute("message_digest", _digest(algorithm, content)),
        *(_attribute(name, value) for name, value in scep_attributes.items()),
    ]
    signed_attrs = cms.CMSAttributes(attributes)
    signature = key.sign(b"\x31" + signed_attrs.dump()[1:], asym_padding.PKCS1v15(), algorithm)
    signer = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value=cms.IssuerAndSerialNumber(
                    {"issuer": signer.issuer, "serial_number": signer.serial_number}
                ),
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": digest}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"}),
            "signature": signature,
        }
    )
    encap: dict[str, object] = {"content_type": "data"}
    if content:
        encap["content"] = content
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
            "encap_content_info": encap,
            "certificates": [cms.CertificateChoices(name="certificate", value=signer)],
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def _attribute(name: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": name, "values": [value]})


def _degenerate(certificates: list[x509.Certificate], crl: bytes | None) -> bytes:
    """A certs-only (or CRL-only) SignedData without signers (RFC 8894 §3.4)."""
    if crl is None:
        return pkcs7.serialize_certificates(certificates, Encoding.DER)
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "crls": [cms.RevocationInfoChoice.load(crl)],
            "signer_infos": [],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


# --- what a poll or a query names (§3.3.3, §3.3.4) -----------------------------------------


def issuer_and_serial(content: bytes) -> tuple[bytes, int]:
    """GetCert and GetCRL name a certificate by IssuerAndSerialNumber (§3.3.3, §3.3.4): the
    issuer's DER (compare with ``Name.public_bytes()``) and the serial number."""
    try:
        parsed = cms.IssuerAndSerialNumber.load(content, strict=True)
        return parsed["issuer"].dump(), parsed["serial_number"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise ScepError(
            BAD_REQUEST, f"not an IssuerAndSerialNumber ({type(exc).__name__})"
        ) from None


def issuer_and_subject(content: bytes) -> tuple[bytes, bytes]:
    """CertPoll (GetCertInitial) names the request by IssuerAndSubject (§3.3.3): DERs."""
    try:
        parsed = _IssuerAndSubject.load(content, strict=True)
        return parsed["issuer"].dump(), parsed["subject"].dump()
    except (ValueError, TypeError, KeyError) as exc:
        raise ScepError(BAD_REQUEST, f"not an IssuerAndSubject ({type(exc).__name__})") from None


class _IssuerAndSubject(core.Sequence):
    _fields = [("issuer", asn1_x509.Name), ("subject", asn1_x509.Name)]
