"""http-01 (RFC 8555 §8.3) against real HTTP servers on loopback: the answer at
/.well-known/acme-challenge/<token> must be the key authorization; redirects are followed to
http:80 and https:443 only; one deadline covers the attempt; at most 8 KiB are read."""

import datetime as dt
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from acme_server import validation
from acme_server.validation import MAX_BODY_BYTES, ValidationResult, validate
from tests.acme.conftest import free_port
from tests.acme.dns_server import dns_server

NAME = "www.http01.test"
TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
KEY_AUTHORIZATION = f"{TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
PATH = f"/.well-known/acme-challenge/{TOKEN}"


class Site:
    """What the loopback web server answers: path → (status, headers, body); and what it saw."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.seen: list[tuple[str, str]] = []  # (Host header, path)

    def page(self, path: str, body: bytes | str, status: int = 200, **headers: str) -> None:
        self.pages[path] = (status, headers, body.encode() if isinstance(body, str) else body)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.page(path, b"", status, Location=location)


def serve(site: Site, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            site.seen.append((self.headers["Host"], self.path))
            status, headers, body = site.pages.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def site(settings):
    """A web server on a free loopback port that every name resolves to."""
    site = Site()
    server = serve(site)
    settings.RAPORTAL_ACME_HTTP_PORT = server.server_address[1]
    settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
    settings.RAPORTAL_ACME_VALIDATION_TIMEOUT = 5
    yield site
    server.shutdown()
    server.server_close()


def http01(name: str = NAME) -> ValidationResult:
    return validate("http-01", name, TOKEN, KEY_AUTHORIZATION)


def test_the_key_authorization_at_the_well_known_path_validates(site, settings):
    site.page(PATH, KEY_AUTHORIZATION + "\r\n")  # trailing whitespace is ignored
    result = http01()
    assert result == ValidationResult(True), result
    assert site.seen == [(f"{NAME}:{settings.RAPORTAL_ACME_HTTP_PORT}", PATH)]


def test_a_wrong_body_is_unauthorized_and_never_shown_to_the_client(site):
    # After a redirect, the body may be an internal page (RFC 8555 §10.2).
    site.page(PATH, f"{TOKEN}.some-other-account-thumbprint")
    result = http01()
    assert not result.valid and result.error_type == "unauthorized", result
    assert "some-other-account-thumbprint" not in result.detail, result
    assert "did not answer the key authorization" in result.detail, result


def test_a_redirect_to_an_ip_address_is_not_followed(site, settings):
    site.redirect(PATH, "http://127.0.0.1/latest/meta-data/iam/security-credentials/")
    result = http01()
    assert not result.valid and result.error_type == "connection", result
    assert "IP address" in result.detail, result
    assert site.seen == [(f"{NAME}:{settings.RAPORTAL_ACME_HTTP_PORT}", PATH)]  # only the first


def test_leading_whitespace_is_not_ignored(site):
    site.page(PATH, " " + KEY_AUTHORIZATION)
    assert http01().error_type == "unauthorized"


def test_a_404_is_unauthorized(site):
    result = http01()
    assert result.error_type == "unauthorized" and "404" in result.detail, result


def test_the_right_body_with_another_status_is_unauthorized(site):
    site.page(PATH, KEY_AUTHORIZATION, status=500)
    result = http01()
    assert result.error_type == "unauthorized" and "500" in result.detail, result


def test_nothing_listening_is_a_connection_error(settings):
    settings.RAPORTAL_ACME_HTTP_PORT = free_port()
    settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
    result = http01()
    assert not result.valid and result.error_type == "connection", result
    assert "refused" in result.detail.lower(), result


def test_a_name_that_does_not_resolve_is_a_dns_error(settings):
    with dns_server() as (zone, address):
        settings.RAPORTAL_ACME_DNS_RESOLVER = address
        settings.RAPORTAL_ACME_RESOLVE = {}
        result = http01()
    assert result.error_type == "dns" and NAME in result.detail, result
    assert (f"{NAME}.", "AAAA") in zone.questions or (f"{NAME}.", "A") in zone.questions


def test_addresses_come_from_the_configured_dns_server(site, settings):
    site.page(PATH, KEY_AUTHORIZATION)
    with dns_server() as (zone, address):
        zone.add(f"{NAME}. 60 IN A 127.0.0.1")
        settings.RAPORTAL_ACME_DNS_RESOLVER = address
        settings.RAPORTAL_ACME_RESOLVE = {}
        result = http01()
    assert result.valid, result
    assert (f"{NAME}.", "A") in zone.questions


def test_the_resolve_setting_pins_a_name_before_the_wildcard(site, settings):
    site.page(PATH, KEY_AUTHORIZATION)
    settings.RAPORTAL_ACME_RESOLVE = {NAME: "127.0.0.1", "*": "192.0.2.1"}  # TEST-NET: no one
    assert http01().valid
    settings.RAPORTAL_ACME_VALIDATION_TIMEOUT = 1
    assert http01("other.http01.test").error_type == "connection"


def test_a_chain_of_redirects_is_followed_to_other_names_and_paths(site, settings):
    port = settings.RAPORTAL_ACME_HTTP_PORT
    site.redirect(PATH, "/moved", status=301)  # relative
    site.redirect("/moved", "http://other.http01.test/again?x=1", status=307)  # port 80
    site.redirect("/again?x=1", f"http://third.http01.test:{port}/final", status=308)
    site.page("/final", KEY_AUTHORIZATION)
    result = http01()
    assert result.valid, result
    assert site.seen == [
        (f"{NAME}:{port}", PATH),
        (f"{NAME}:{port}", "/moved"),
        (f"other.http01.test:{port}", "/again?x=1"),
        (f"third.http01.test:{port}", "/final"),
    ]


def test_more_than_ten_redirects_are_not_followed(site):
    site.redirect(PATH, "/r0")
    for hop in range(20):
        site.redirect(f"/r{hop}", f"/r{hop + 1}")
    result = http01()
    assert result.error_type == "connection" and "redirects" in result.detail, result
    assert len(site.seen) == 11  # the first answer and ten redirects


def test_a_redirect_to_another_port_or_scheme_is_not_followed(site):
    for location in ("http://www.http01.test:8443/x", "ftp://www.http01.test/x"):
        site.redirect(PATH, location)
        result = http01()
        assert result.error_type == "connection" and "not followed" in result.detail, result
    assert [path for _, path in site.seen] == [PATH, PATH]


def test_a_redirect_without_location_is_unauthorized(site):
    site.page(PATH, b"", status=302)
    assert http01().error_type == "unauthorized"


def test_a_redirect_to_https_is_followed_without_checking_the_certificate(
    site, settings, monkeypatch, tmp_path
):
    tls_site = Site()
    tls_site.page("/secure", KEY_AUTHORIZATION)
    server = serve(tls_site, tls=self_signed_context(tmp_path))
    monkeypatch.setattr(validation, "HTTPS_PORT", server.server_address[1])  # 443 is root's
    try:
        site.redirect(PATH, "https://secure.http01.test/secure")
        result = http01()
    finally:
        server.shutdown()
        server.server_close()
    assert result.valid, result
    assert tls_site.seen == [(f"secure.http01.test:{server.server_address[1]}", "/secure")]


def test_a_redirect_to_https_where_tls_fails_is_a_tls_error(site, settings, monkeypatch):
    # The plain http server answers the TLS handshake with an HTTP error page.
    monkeypatch.setattr(validation, "HTTPS_PORT", settings.RAPORTAL_ACME_HTTP_PORT)
    site.redirect(PATH, "https://www.http01.test/x")
    result = http01()
    assert result.error_type == "tls", result


def test_an_answer_over_8_kib_is_refused(site):
    site.page(PATH, KEY_AUTHORIZATION + " " * MAX_BODY_BYTES)
    result = http01()
    assert result.error_type == "unauthorized" and "larger than" in result.detail, result


def test_an_answer_over_8_kib_without_content_length_is_refused_after_8_kib(settings):
    sent = []

    def endless(conn: socket.socket) -> None:
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        try:
            for _ in range(1000):  # 1 MiB, if anyone read it all
                conn.sendall(b"x" * 1024)
                sent.append(1024)
        except OSError:
            pass

    with RawServer(endless) as port:
        settings.RAPORTAL_ACME_HTTP_PORT = port
        settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
        result = http01()
    assert result.error_type == "unauthorized" and "larger than" in result.detail, result


def test_a_server_trickling_its_answer_is_cut_off_at_the_timeout(settings):
    def trickle(conn: socket.socket) -> None:
        conn.recv(4096)
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                conn.sendall(bytes([byte]))
                time.sleep(0.1)
        except OSError:
            pass

    with RawServer(trickle) as port:
        settings.RAPORTAL_ACME_HTTP_PORT = port
        settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
        settings.RAPORTAL_ACME_VALIDATION_TIMEOUT = 1
        started = time.monotonic()
        result = http01()
        elapsed = time.monotonic() - started
    assert result.error_type == "connection" and "in time" in result.detail, result
    assert elapsed < 2.5, elapsed


def test_an_invalid_token_is_refused_before_any_request(site):
    result = validate("http-01", NAME, "../../admin", KEY_AUTHORIZATION)
    assert result.error_type == "malformed", result
    assert site.seen == []


class RawServer:
    """A TCP server on loopback whose every connection is handed to ``serve``."""

    def __init__(self, serve) -> None:
        self.serve = serve
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                self.serve(conn)

    def __enter__(self) -> int:
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def self_signed_context(tmp_path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the validated name")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
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
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context
