"""Subject DN elements and subject alternative names: syntax, normalization and encoding.

Horizon names DN elements ``cn.1``, ``ou.2``… (type + 1-based index) and SANs by type
(``DNSNAME``, ``IPADDRESS``…). This module knows what each one may contain (RFC 5280
Appendix A upper bounds, the preferred name syntax of RFC 1034 §3.5 for DNS names, RFC 5280
§4.2.1.6 for SANs) and how it is encoded. Every check raises ``ValueError`` with a message
written for the person who typed the value.
"""

import ipaddress
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from certificates.pki.idn import a_label_form, check_a_labels
from certificates.pki.invisible import check_visible, nfc

UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")  # Microsoft user principal name
GUID_OID = ObjectIdentifier("1.3.6.1.4.1.311.25.1")  # Microsoft object GUID

PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")  # X.680 PrintableString


@dataclass(frozen=True)
class DnType:
    name: str  # Horizon's element name
    oid: ObjectIdentifier
    label: str  # what a requester sees
    short: str  # how it is written in a DN string
    max_length: int
    charset: str = "utf8"  # utf8 | printable | ia5
    rank: int = 50  # position in the DN, most general first


DN_TYPES: dict[str, DnType] = {
    t.name: t
    for t in [
        DnType("dc", NameOID.DOMAIN_COMPONENT, "Domain component", "DC", 63, "ia5", 0),
        DnType("c", NameOID.COUNTRY_NAME, "Country (2 letters)", "C", 2, "printable", 1),
        DnType("st", NameOID.STATE_OR_PROVINCE_NAME, "State or province", "ST", 128, rank=2),
        DnType("l", NameOID.LOCALITY_NAME, "Locality", "L", 128, rank=3),
        DnType("street", NameOID.STREET_ADDRESS, "Street address", "STREET", 128, rank=4),
        DnType("o", NameOID.ORGANIZATION_NAME, "Organization", "O", 64, rank=5),
        DnType("ou", NameOID.ORGANIZATIONAL_UNIT_NAME, "Organizational unit", "OU", 64, rank=6),
        DnType(
            "organizationIdentifier",
            NameOID.ORGANIZATION_IDENTIFIER,
            "Organization identifier",
            "ORGANIZATIONIDENTIFIER",
            64,
            rank=7,
        ),
        DnType("t", NameOID.TITLE, "Title", "T", 64, rank=8),
        DnType(
            "description", ObjectIdentifier("2.5.4.13"), "Description", "DESCRIPTION", 1024, rank=9
        ),
        DnType("cn", NameOID.COMMON_NAME, "Common name", "CN", 64, rank=10),
        DnType("surname", NameOID.SURNAME, "Surname", "SN", 64, rank=11),
        DnType("givenName", NameOID.GIVEN_NAME, "Given name", "GIVENNAME", 64, rank=12),
        DnType(
            "serialNumber",
            NameOID.SERIAL_NUMBER,
            "Serial number",
            "SERIALNUMBER",
            64,
            "printable",
            13,
        ),
        DnType("uid", NameOID.USER_ID, "User ID", "UID", 256, rank=14),
        DnType("e", NameOID.EMAIL_ADDRESS, "Email address", "E", 255, "ia5", 15),
        DnType(
            "unstructuredName",
            ObjectIdentifier("1.2.840.113549.1.9.2"),
            "Unstructured name",
            "UNSTRUCTUREDNAME",
            255,
            "ia5",
            16,
        ),
        DnType(
            "unstructuredAddress",
            ObjectIdentifier("1.2.840.113549.1.9.8"),
            "Unstructured address",
            "UNSTRUCTUREDADDRESS",
            255,
            rank=17,
        ),
    ]
}
DN_TYPE_BY_OID = {t.oid: t for t in DN_TYPES.values()}
DN_STRING_NAMES = {t.oid: t.short for t in DN_TYPES.values()}

ELEMENT_RE = re.compile(r"^([A-Za-z]+)\.([1-9][0-9]{0,2})$")


# Profiles name a DN element by its type as Horizon writes it there (``CN``, ``OU``…: the
# n-th of a type in the template is element ``ou.n``); requests name it ``type.index``.
DN_TYPE_BY_SPELLING = {
    **{t.name.lower(): t for t in DN_TYPES.values()},
    **{t.short.lower(): t for t in DN_TYPES.values()},
}


def profile_elements(types: list[str]) -> list[str]:
    """The element names (``cn.1``) of a profile's subject template, given its types in order
    as Horizon writes them (``CN``, ``OU``, ``OU`` → ``cn.1``, ``ou.1``, ``ou.2``) or as
    requests do (``cn.1``); any case. ValueError naming the first unknown type."""
    elements: list[str] = []
    seen: dict[str, int] = {}
    for text in types:
        match = ELEMENT_RE.match(text or "")
        spelled = match.group(1) if match else (text or "")
        dn_type = DN_TYPE_BY_SPELLING.get(spelled.lower())
        if dn_type is None:
            known = ", ".join(t.short for t in DN_TYPES.values())
            raise ValueError(
                f"{text!r} is not a DN element type (types: {known}; or type.index, e.g. cn.1)"
            )
        seen[dn_type.name] = seen.get(dn_type.name, 0) + 1
        index = int(match.group(2)) if match else seen[dn_type.name]
        elements.append(f"{dn_type.name}.{index}")
    return elements


def profile_types(elements: list[str]) -> list[str]:
    """The types of a profile's subject template as Horizon writes them (``cn.1``, ``ou.1``,
    ``ou.2`` → ``CN``, ``OU``, ``OU``), in order; a type whose indices do not follow its
    order (``ou.2`` before ``ou.1``) keeps the ``type.index`` spelling, so that reading the
    answer back gives the same elements."""
    parsed = [parse_element(element) for element in elements]
    in_order: dict[str, list[int]] = {}
    for dn_type, index in parsed:
        in_order.setdefault(dn_type.name, []).append(index)
    plain = {
        name for name, indices in in_order.items() if indices == list(range(1, len(indices) + 1))
    }
    return [
        dn_type.short if dn_type.name in plain else element
        for (dn_type, _), element in zip(parsed, elements, strict=True)
    ]


def parse_element(element: str) -> tuple[DnType, int]:
    """``"cn.1"`` → (the CN type, 1)."""
    match = ELEMENT_RE.match(element or "")
    if not match or match.group(1) not in DN_TYPES:
        known = ", ".join(DN_TYPES)
        raise ValueError(
            f"{element!r} is not a DN element; write it as type.index, e.g. cn.1 (types: {known})"
        )
    return DN_TYPES[match.group(1)], int(match.group(2))


def check_dn_value(dn_type: DnType, value: str, *, mixed_scripts: bool = False) -> str:
    """Returns the value as it will be encoded (NFC, blanks collapsed), or raises ValueError.
    ``mixed_scripts``: whether internationalized DNS labels (a DC, a host name as CN) may mix
    scripts (certificates.pki.idn)."""
    value = nfc(" ".join(value.split()))  # no leading/trailing/multiple blanks in a DN
    if not value:
        raise ValueError(f"{dn_type.label} is empty")
    check_visible(value, dn_type.label)
    if len(value) > dn_type.max_length:
        raise ValueError(
            f"{dn_type.label} is {len(value)} characters long; at most {dn_type.max_length} "
            "are allowed (RFC 5280, Appendix A)"
        )
    if dn_type.name == "c":
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError("Country must be a two-letter ISO 3166 code in capitals, e.g. FR")
    elif dn_type.charset == "printable" and not PRINTABLE.match(value):
        raise ValueError(
            f"{dn_type.label} may only contain letters, digits, spaces and ' ( ) + , - . / : = ?"
        )
    elif dn_type.charset == "ia5" and not value.isascii():
        raise ValueError(f"{dn_type.label} may only contain ASCII characters")
    if dn_type.name == "e":
        value = normalize_email(value)
    if dn_type.name == "dc" and not DNS_LABEL.match(value.lower()):
        raise ValueError(
            f"domain component {value!r} must be one DNS label (letters, digits, hyphens)"
        )
    if dn_type.name in ("dc", "cn") and (labels := _host_labels(value)):
        # A host name in the CN (as TLS clients of old read it) or a DC is a DNS name too:
        # its A-labels are held to the rules of a dNSName's.
        check_a_labels(value, labels, mixed_scripts=mixed_scripts)
    try:
        x509.NameAttribute(dn_type.oid, value)  # the encoder's own limits (e.g. CN in bytes)
    except ValueError as exc:
        raise ValueError(f"{dn_type.label} cannot be encoded: {exc}") from None
    return value


def _host_labels(value: str) -> list[str]:
    """The labels of ``value`` when it is written like a host name (LDH labels, a leading
    ``*`` allowed), else none."""
    labels = value.lower().split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if value.isascii() and labels and all(DNS_LABEL.match(label) for label in labels):
        return labels
    return []


def build_name(elements: list[tuple[str, str]]) -> x509.Name:
    """Indexed elements → X.501 Name, ordered most general first (C, O, OU, CN…); elements of
    the same type keep their index order."""
    parsed = []
    for element, value in elements:
        dn_type, index = parse_element(element)
        parsed.append((dn_type.rank, index, dn_type, value))
    parsed.sort(key=lambda item: (item[0], item[1]))
    return x509.Name([x509.NameAttribute(t.oid, v) for _, _, t, v in parsed])


def name_to_elements(name: x509.Name) -> list[tuple[str, str]]:
    """A CSR's subject → indexed elements."""
    counters: dict[str, int] = {}
    out = []
    for attribute in name:
        dn_type = DN_TYPE_BY_OID.get(attribute.oid)
        if dn_type is None:
            continue  # an attribute without an element name is left out
        counters[dn_type.name] = counters.get(dn_type.name, 0) + 1
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
        out.append((f"{dn_type.name}.{counters[dn_type.name]}", value))
    return out


def name_string(name: x509.Name) -> str:
    """RFC 4514 string of a name, most specific first: ``CN=web,O=Example,C=FR``."""
    return name.rfc4514_string(DN_STRING_NAMES)


# --- subject alternative names -----------------------------------------------------------

SAN_TYPES = (
    "DNSNAME",
    "IPADDRESS",
    "RFC822NAME",
    "URI",
    "OTHERNAME_UPN",
    "OTHERNAME_GUID",
    "REGISTERED_ID",
)
SAN_LABELS = {
    "DNSNAME": "DNS name",
    "IPADDRESS": "IP address",
    "RFC822NAME": "Email address",
    "URI": "URI",
    "OTHERNAME_UPN": "User principal name (UPN)",
    "OTHERNAME_GUID": "Object GUID",
    "REGISTERED_ID": "Registered ID (OID)",
}

DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
DOT_ATOM = re.compile(rf"^{ATEXT}(\.{ATEXT})*$")
OID_RE = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")


def normalize_dns_name(
    value: str,
    *,
    allow_wildcard: bool = False,
    fully_qualified: bool = True,
    mixed_scripts: bool = False,
) -> str:
    """A host name in canonical form (lower case, no trailing dot). Single-label names
    (``intranet``, ``printer1``) only with ``fully_qualified=False``: private PKIs name hosts
    that way, and Horizon accepts them; e-mail domains and URI hosts stay fully qualified.
    Internationalized labels are A-labels, checked by IDNA 2008 (certificates.pki.idn); a
    name typed in Unicode is refused with its A-label form: the certificate can only carry
    that (RFC 5280 §7.2), and the requester should see the name it will hold."""
    name = value.strip().lower()
    if name.endswith("."):
        name = name[:-1]
    if not name:
        raise ValueError("a DNS name is empty")
    if not name.isascii():
        encoded = a_label_form(name)
        if encoded is None:
            raise ValueError(
                f"{value!r} has non-ASCII characters and is not a valid internationalized "
                "name (IDNA 2008): write it in its A-label form (xn--…), as registered"
            )
        raise ValueError(
            f"{value!r} has non-ASCII characters: a certificate writes an internationalized "
            f"name in its A-label form; enter {encoded}"
        )
    if len(name) > 253:
        raise ValueError(f"{value!r} is longer than 253 characters")
    labels = name.split(".")
    if labels[0] == "*":
        if not allow_wildcard:
            raise ValueError(f"{value!r}: this profile does not allow wildcard names")
        if len(labels) < 3:
            raise ValueError(f"{value!r}: a wildcard must cover a subdomain, e.g. *.example.com")
        labels = labels[1:]
    for label in labels:
        if not DNS_LABEL.match(label):
            raise ValueError(
                f"{value!r} is not a valid host name: each label has 1-63 letters, digits or "
                "hyphens and does not start or end with a hyphen (RFC 1034 §3.5)"
            )
    if labels[-1].isdigit():
        raise ValueError(f"{value!r} looks like an IP address; use an IPADDRESS SAN for it")
    if len(labels) < 2 and fully_qualified:
        raise ValueError(f"{value!r} is not fully qualified: write it as host.domain")
    check_a_labels(name, labels, mixed_scripts=mixed_scripts)
    return name


def normalize_email(value: str, *, mixed_scripts: bool = False) -> str:
    local, sep, domain = value.strip().rpartition("@")
    if not sep or not local or not domain:
        raise ValueError(f"{value!r} is not an email address (local-part@domain)")
    if not DOT_ATOM.match(local):
        raise ValueError(
            f"{value!r}: the local part may hold letters, digits, dots (not doubled, not at "
            "either end) and !#$%&'*+/=?^_`{|}~- (RFC 5322 dot-atom)"
        )
    if len(local) > 64:
        raise ValueError(f"{value!r}: the local part is longer than 64 characters")
    try:
        domain = normalize_dns_name(domain, allow_wildcard=False, mixed_scripts=mixed_scripts)
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid domain: {exc}") from exc
    return f"{local}@{domain}"


def normalize_san(
    san_type: str,
    value: str,
    *,
    allow_wildcard: bool = False,
    fully_qualified: bool = True,
    mixed_scripts: bool = False,
) -> str:
    """Checks a SAN value against its type's syntax and returns its canonical form — one the
    certificate encoder is known to accept. ``mixed_scripts``: whether internationalized DNS
    labels may mix scripts (certificates.pki.idn)."""
    if not isinstance(value, str):
        raise ValueError(f"a {san_type} value must be a string")
    value = nfc(value.strip())
    if not value:
        raise ValueError(f"a {san_type} value is empty")
    if san_type not in SAN_TYPES:
        raise ValueError(f"{san_type!r} is not a SAN type (types: {', '.join(SAN_TYPES)})")
    check_visible(value, f"{value!r}")
    if san_type == "DNSNAME":
        value = normalize_dns_name(
            value,
            allow_wildcard=allow_wildcard,
            fully_qualified=fully_qualified,
            mixed_scripts=mixed_scripts,
        )
    elif san_type == "IPADDRESS":
        value = _normalize_ip(value)
    elif san_type == "RFC822NAME":
        value = normalize_email(value, mixed_scripts=mixed_scripts)
    elif san_type == "URI":
        value = _normalize_uri(value, mixed_scripts=mixed_scripts)
    elif san_type == "OTHERNAME_UPN":
        user, at, domain = value.rpartition("@")
        if not at or not user or not domain or any(ch.isspace() for ch in value):
            raise ValueError(f"{value!r} is not a user principal name (user@domain)")
        if len(value) > 256:
            raise ValueError(f"{value!r} is longer than 256 characters")
    elif san_type == "OTHERNAME_GUID":
        try:
            value = str(uuid.UUID(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a GUID (32 hexadecimal digits)") from None
    elif san_type == "REGISTERED_ID":
        arcs = value.split(".")
        if not OID_RE.match(value) or (arcs[0] in ("0", "1") and int(arcs[1]) >= 40):
            raise ValueError(f"{value!r} is not an object identifier like 1.2.3.4")
    try:
        x509.SubjectAlternativeName([general_name(san_type, value)]).public_bytes()
    except ValueError as exc:
        raise ValueError(f"{value!r} cannot be encoded as a {san_type}: {exc}") from None
    return value


def _normalize_ip(value: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 or IPv6 address") from None
    if getattr(address, "scope_id", None):
        raise ValueError(f"{value!r}: a zone index (%…) has no meaning in a certificate")
    if address.is_unspecified or address.is_multicast or value == "255.255.255.255":
        raise ValueError(f"{value!r} is not the address of a host")
    return address.compressed


def _normalize_uri(value: str, *, mixed_scripts: bool = False) -> str:
    # RFC 5280 §4.2.1.6: an absolute URI in its ASCII form; with an authority, its host is a
    # fully qualified domain name or an IP address. The authority is required here: URIs
    # without a host (urn:…) are flagged by certificate linters such as pkilint.
    if not value.isascii() or any(ch.isspace() or ord(ch) < 33 for ch in value):
        raise ValueError(f"{value!r} is not a URI: use its ASCII, percent-encoded form")
    scheme, sep, rest = value.partition(":")
    if not sep or not URI_SCHEME.match(scheme) or not rest.startswith("//"):
        raise ValueError(f"{value!r} is not an absolute URI with a host (scheme://host/…)")
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        raise ValueError(f"{value!r} is not a valid URI") from None
    if not host:
        raise ValueError(f"{value!r} has no host")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:
            normalize_dns_name(host, mixed_scripts=mixed_scripts)
        except ValueError as exc:
            raise ValueError(f"{value!r}: its host is not valid: {exc}") from None
    return value


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def general_name(san_type: str, value: str) -> x509.GeneralName:
    if san_type == "DNSNAME":
        return x509.DNSName(value)
    if san_type == "IPADDRESS":
        return x509.IPAddress(ipaddress.ip_address(value))
    if san_type == "RFC822NAME":
        return x509.RFC822Name(value)
    if san_type == "URI":
        return x509.UniformResourceIdentifier(value)
    if san_type == "OTHERNAME_UPN":
        raw = value.encode()
        return x509.OtherName(UPN_OID, b"\x0c" + _der_length(len(raw)) + raw)  # UTF8String
    if san_type == "OTHERNAME_GUID":
        # Active Directory's objectGUID byte order (first three fields little-endian).
        return x509.OtherName(GUID_OID, b"\x04\x10" + uuid.UUID(value).bytes_le)
    if san_type == "REGISTERED_ID":
        return x509.RegisteredID(ObjectIdentifier(value))
    raise ValueError(f"unsupported SAN type {san_type}")


def _der_string(der: bytes, tag: int) -> bytes:
    if not der or der[0] != tag:
        raise ValueError("unexpected encoding")
    first = der[1]
    if first < 0x80:
        return der[2 : 2 + first]
    size = first & 0x7F
    length = int.from_bytes(der[2 : 2 + size], "big")
    return der[2 + size : 2 + size + length]


def san_of(name: x509.GeneralName) -> tuple[str, str]:
    """A general name → (SAN type, value); raises ValueError for types we do not handle."""
    if isinstance(name, x509.DNSName):
        return "DNSNAME", name.value
    if isinstance(name, x509.IPAddress):
        return "IPADDRESS", str(name.value)
    if isinstance(name, x509.RFC822Name):
        return "RFC822NAME", name.value
    if isinstance(name, x509.UniformResourceIdentifier):
        return "URI", name.value
    if isinstance(name, x509.RegisteredID):
        return "REGISTERED_ID", name.value.dotted_string
    if isinstance(name, x509.OtherName) and name.type_id == UPN_OID:
        return "OTHERNAME_UPN", _der_string(name.value, 0x0C).decode()
    if isinstance(name, x509.OtherName) and name.type_id == GUID_OID:
        return "OTHERNAME_GUID", str(uuid.UUID(bytes_le=_der_string(name.value, 0x04)))
    raise ValueError(f"the subject alternative name {name!r} is not a supported type")


def sans_of(extensions: x509.Extensions) -> list[tuple[str, str]]:
    try:
        ext = extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [san_of(general) for general in ext.value]


def check_names_visible(subject: x509.Name, extensions: x509.Extensions, *, whose: str) -> None:
    """Refuses a CSR's or a certificate's names holding a character that hides or reorders
    text (certificates.pki.invisible), even those a request would not take from it: they are
    kept with the request and shown to its approvers. ``whose``: "the CSR's", for example."""
    for attribute in subject:
        if isinstance(attribute.value, str):
            dn_type = DN_TYPE_BY_OID.get(attribute.oid)
            short = dn_type.short if dn_type else attribute.oid.dotted_string
            check_visible(attribute.value, f"{whose} subject {short}")
    try:
        general_names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return
    for general in general_names:
        try:
            san_type, value = san_of(general)
        except ValueError:  # a type the portal does not handle: never taken nor shown
            continue
        check_visible(value, f"{whose} {SAN_LABELS[san_type]} {value!r}")
