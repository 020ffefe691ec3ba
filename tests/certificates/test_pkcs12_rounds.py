"""A PKCS#12 file read at import says how many key-derivation rounds it wants before any
password is tried: a file asking for too many is refused at once (its author chooses them,
and OpenSSL would run them all)."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

from certificates.pki.pkcs12 import MAX_READ_ROUNDS, Pkcs12Error, kdf_rounds, read_pkcs12


def bundle(rounds: int, pbes=pkcs12.PBES.PBESv2SHA256AndAES256CBC):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "p12.example.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        .sign(key, hashes.SHA256())
    )
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(rounds)
        .key_cert_algorithm(pbes)
        .hmac_hash(hashes.SHA256())
        .build(b"the password")
    )
    return pkcs12.serialize_key_and_certificates(b"k", key, certificate, None, encryption)


@pytest.mark.parametrize(
    "pbes", [pkcs12.PBES.PBESv2SHA256AndAES256CBC, pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC]
)
def test_the_rounds_of_the_shrouded_key_are_read_from_the_clear_structure(pbes):
    assert kdf_rounds(bundle(50_000, pbes=pbes)) == 50_000


def test_a_file_asking_for_too_many_rounds_is_refused_before_any_password_is_tried(
    monkeypatch,
):
    data = bundle(MAX_READ_ROUNDS + 1)

    def never(*args, **kwargs):
        raise AssertionError("the rounds were run: the password was tried")

    monkeypatch.setattr(pkcs12, "load_key_and_certificates", never)
    with pytest.raises(Pkcs12Error) as refused:
        read_pkcs12(data, "the password")
    assert "key-derivation rounds" in str(refused.value)


def test_a_file_with_ordinary_rounds_still_opens():
    key, certificate, _others = read_pkcs12(bundle(2048), "the password")
    assert key is not None and certificate is not None


def test_bytes_that_are_no_pfx_structure_are_not_a_pkcs12():
    with pytest.raises(Pkcs12Error):
        kdf_rounds(b"\x30\x03\x02\x01\x03")
