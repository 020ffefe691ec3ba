"""CMS/PKCS#7 and DER shapes the enrollment protocols answer with (RFC 7030, RFC 8894)."""

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7


def certs_only(certificates: list[x509.Certificate]) -> bytes:
    """A degenerate SignedData holding only ``certificates`` (RFC 5652 §5, RFC 7030 §4.1.3
    "certs-only"), DER."""
    return pkcs7.serialize_certificates(certificates, Encoding.DER)


class _Attribute(core.Sequence):
    # RFC 7030 §4.5.2: Attribute { type, values SET SIZE(1..MAX) OF AttributeValue }
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.Any})]


class _AttrOrOID(core.Choice):
    _alternatives = [("oid", core.ObjectIdentifier), ("attribute", _Attribute)]


class _CsrAttrs(core.SequenceOf):
    _child_spec = _AttrOrOID


def csr_attributes(oids: list[str], attributes: dict[str, list[str]]) -> bytes:
    """CsrAttrs (RFC 7030 §4.5.2), DER: ``oids`` the client should use or include (a
    signature algorithm, challengePassword), ``attributes`` an attribute type with the
    object identifiers its values name (id-ecPublicKey → the curve)."""
    items = [_AttrOrOID(name="oid", value=core.ObjectIdentifier(oid)) for oid in oids]
    for oid, values in attributes.items():
        items.append(
            _AttrOrOID(
                name="attribute",
                value=_Attribute(
                    {
                        "type": core.ObjectIdentifier(oid),
                        "values": [core.ObjectIdentifier(value) for value in values],
                    }
                ),
            )
        )
    return _CsrAttrs(items).dump()
