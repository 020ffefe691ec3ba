"""holderId: who a certificate is for, independent of its key and validity.

Rule (stable; changing it would split existing holders):
  1. the subject, attribute by attribute in encoded order, each written
     ``<OID dotted>=<value>`` with runs of blanks collapsed and the value case-folded, in
     NFC before and after folding (certificates.pki.invisible: one name, however its accents
     were typed);
  2. the SANs, each ``<TYPE>:<value>`` in canonical form (names.normalize_san: NFC),
     lower-cased for DNSNAME and RFC822NAME, de-duplicated and sorted;
  3. holderId = hex SHA-256 of ``subject-lines + "\\n\\n" + san-lines`` (lines joined by "\\n").
So two certificates for ``CN=Web,O=Example`` with SANs {a.example, b.example} share a holder,
whatever order the SANs were given in and whichever key they certify.
"""

import hashlib

from cryptography import x509

from certificates.pki.invisible import nfc

LOWER_CASED = ("DNSNAME", "RFC822NAME")


def holder_id(subject: x509.Name, sans: list[tuple[str, str]]) -> str:
    subject_lines = [
        f"{attr.oid.dotted_string}={nfc(nfc(' '.join(str(attr.value).split())).casefold())}"
        for attr in subject
    ]
    san_lines = sorted(
        {
            f"{san_type}:{nfc(value).lower() if san_type in LOWER_CASED else nfc(value)}"
            for san_type, value in sans
        }
    )
    material = "\n".join(subject_lines) + "\n\n" + "\n".join(san_lines)
    return hashlib.sha256(material.encode()).hexdigest()
