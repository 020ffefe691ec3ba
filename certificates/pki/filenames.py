"""File names of downloaded certificates and keys: the subject's common name and the short
serial the lists show (``short.example.com_1a2b3c4d.pem``), so that two files of the same
host — a certificate and its renewal — differ and say what they hold."""

import re

from cryptography import x509

from raportal.identifiers import serial_prefix

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def common_name(subject: x509.Name) -> str:
    found = subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    value = found[0].value if found else ""
    return value if isinstance(value, str) else ""


def safe_part(text: str, limit: int = 64) -> str:
    """``text`` as a portable file-name part: letters, digits, ``.``, ``-``, ``_``; runs of
    anything else (spaces, slashes, ``*`` of a wildcard) become one ``_``; no leading dot
    (a hidden file) and at most ``limit`` characters."""
    return _UNSAFE.sub("_", text).strip("._")[:limit].rstrip("._")


def download_name(certificate: x509.Certificate, serial: str, suffix: str) -> str:
    """``<CN>_<short serial>.<suffix>``; the short serial alone without a usable CN."""
    base = safe_part(common_name(certificate.subject))
    short = serial_prefix(serial)
    return f"{base}_{short}.{suffix}" if base else f"{short}.{suffix}"
