"""tls-alpn-01 (RFC 8737) against a real TLS server on loopback: the handshake negotiates
acme-tls/1 and shows a certificate for the name only, with the critical acmeIdentifier
extension holding SHA-256 of the key authorization."""

import datetime as dt
import hashlib
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acme_server import validation
from acme_server.validation import ACME_IDENTIFIER, ValidationResult, validate
from tests.acme.conftest import free_port

NAME = "www.alpn.test"
TOKEN = "t3gSZ1L3tqXy1n9gVLgKyq7pa0wHLJxNsMSDkKx3bgo"
KEY_AUTHORIZATION = f"{TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"


def challenge_certificate(tmp_path, names, key_authorization, critical=True):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acme-tls-alpn")])
    now = dt.datetime.now(dt.UTC)
    digest = hashlib.sha256(key_authorization.encode()).digest()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.UnrecognizedExtension(ACME_IDENTIFIER, b"\x04\x20" + digest), critical)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tmp_path / "cert.pem", tmp_path / "key.pem"


@pytest.fixture
def tls_server(settings, monkeypatch, tmp_path):
    """Starts a TLS server answering with a given certificate and ALPN protocols."""
    settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
    settings.RAPORTAL_ACME_VALIDATION_TIMEOUT = 5
    stop = threading.Event()
    seen: list[str | None] = []  # the SNI of each handshake

    def start(names=(NAME,), key_authorization=KEY_AUTHORIZATION, alpn=("acme-tls/1",), **kw):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*challenge_certificate(tmp_path, names, key_authorization, **kw))
        if alpn:
            context.set_alpn_protocols(list(alpn))
        context.sni_callback = lambda sock, name, ctx: seen.append(name)
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.2)
        monkeypatch.setattr(validation, "TLS_ALPN_PORT", listener.getsockname()[1])

        def run():
            with listener:
                while not stop.is_set():
                    try:
                        conn, _ = listener.accept()
                    except TimeoutError:
                        continue
                    try:
                        with context.wrap_socket(conn, server_side=True) as tls:
                            tls.recv(1)  # until the client closes
                    except OSError:
                        pass

        threading.Thread(target=run, daemon=True).start()
        return seen

    yield start
    stop.set()


def tls_alpn01() -> ValidationResult:
    return validate("tls-alpn-01", NAME, TOKEN, KEY_AUTHORIZATION)


def test_the_challenge_certificate_over_acme_tls_validates(tls_server):
    seen = tls_server()
    result = tls_alpn01()
    assert result == ValidationResult(True), result
    assert seen == [NAME]  # the name validated is sent as SNI (RFC 8737 §3)


def test_a_digest_of_another_key_authorization_is_unauthorized(tls_server):
    tls_server(key_authorization=f"{TOKEN}.another-account")
    result = tls_alpn01()
    assert result.error_type == "unauthorized" and "acmeIdentifier" in result.detail, result


def test_a_non_critical_acme_identifier_is_unauthorized(tls_server):
    tls_server(critical=False)
    assert tls_alpn01().error_type == "unauthorized"


def test_a_certificate_for_more_names_is_unauthorized(tls_server):
    tls_server(names=(NAME, "other.alpn.test"))
    result = tls_alpn01()
    assert result.error_type == "unauthorized" and "only" in result.detail, result


def test_a_server_without_acme_tls_alpn_is_a_tls_error(tls_server):
    tls_server(alpn=("http/1.1",))
    result = tls_alpn01()
    assert result.error_type == "tls" and "acme-tls/1" in result.detail, result


def test_nothing_listening_is_a_connection_error(settings, monkeypatch):
    settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
    monkeypatch.setattr(validation, "TLS_ALPN_PORT", free_port())
    assert tls_alpn01().error_type == "connection"
