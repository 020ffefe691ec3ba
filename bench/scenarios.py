"""The requests ``bench/submit.py`` sends: each scenario's description, and per served tree a
function making its i-th request, ``(path, headers, body or None)``."""

import json
import os

PASSWORD = "Bench-Password-123"

SCENARIOS = {
    "healthz": "GET /healthz, anonymous: the server's floor (middleware answers before "
    "sessions and host checks; one SELECT 1)",
    "auth-floor": "GET /api/v1/certificate/labels as the demo admin: the authenticated floor, "
    "the cheapest API-key-authenticated GET in both trees (key lookup, staff check, one "
    "select of a table with one row)",
    "self": "GET /api/v1/security/principals/self as the approver (API key, teams, grants)",
    "enroll-ec": "submit, decentralized EC P-256 CSR, caller holds perform: issued (completed)",
    "dry-run": "the same submission with dryRun: validated, nothing stored",
    "p12-ec": "submit, centralized: EC P-256 key generated, PKCS#12 built, key escrowed",
    "p12-rsa": "submit, centralized: RSA-2048 key generated, PKCS#12 built, key escrowed",
    "pending": "submit by a requester (grant request): stored pending, nothing issued",
    "ocsp-get": "RFC 5019 GET /ocsp/<ca>/<request> for a demo certificate: answered from the "
    "cache (status looked up, no signature)",
    "ocsp-nonce": "the same GET with a nonce: signed by the responder on every request",
}
# What --quick measures: the floors and the scenarios of the acceptance figures.
QUICK = ("healthz", "auth-floor", "self", "enroll-ec", "pending")

JSON = {"Content-Type": "application/json"}
ADMIN = {**JSON, "X-API-ID": "admin", "X-API-KEY": "admin-key"}
APPROVER = {**JSON, "X-API-ID": "approver", "X-API-KEY": "approver-key"}
REQUESTER = {**JSON, "X-API-ID": "requester", "X-API-KEY": "requester-key"}


def make_csrs(count: int) -> list[str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    out = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, f"bench-{i}.example")])
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
        out.append(csr.public_bytes(Encoding.PEM).decode())
    return out


def makers(base: str, csrs: list[str], names: list[str]) -> dict:
    """Scenario name → a function of i making the i-th request for the server at ``base``; a
    scenario this server cannot be asked (no OCSP responder in an older tree) maps to the
    reason, a string."""

    def submit(headers, template, **extra):
        body = {"profile": "webra-demo", "module": "webra", "workflow": "enroll"}
        body |= {"template": template, **extra}
        return "/api/v1/requests/submit", headers, json.dumps(body).encode()

    def centralized(key_type):
        def make(i):
            template = {"keyType": key_type, "subject": [{"element": "cn.1", "value": f"k{i}"}]}
            return submit(APPROVER, template, password={"value": PASSWORD})

        return make

    made = {
        "healthz": lambda i: ("/healthz", {}, None),
        "auth-floor": lambda i: ("/api/v1/certificate/labels", ADMIN, None),
        "self": lambda i: ("/api/v1/security/principals/self", APPROVER, None),
        "enroll-ec": lambda i: submit(APPROVER, {"csr": csrs[i % len(csrs)]}),
        "dry-run": lambda i: submit(APPROVER, {"csr": csrs[i % len(csrs)]}, dryRun=True),
        "p12-ec": centralized("ec-secp256r1"),
        "p12-rsa": centralized("rsa-2048"),
        "pending": lambda i: submit(REQUESTER, {"csr": csrs[i % len(csrs)]}),
    }
    if any(name.startswith("ocsp") for name in names):
        try:
            paths = ocsp_requests(base, APPROVER, csrs[0])
        except Exception as error:  # an older tree: no responder, no OCSP URL in the AIA
            reason = f"no OCSP responder ({type(error).__name__})"
            made |= {"ocsp-get": reason, "ocsp-nonce": reason}
        else:
            made["ocsp-get"] = lambda i: (paths["cached"], {}, None)
            made["ocsp-nonce"] = lambda i: (paths["nonce"], {}, None)
    return {name: made[name] for name in names}


def ocsp_requests(base: str, headers: dict, csr: str) -> dict[str, str]:
    """GET paths (RFC 5019 §5) asking the responder named in a fresh demo certificate's AIA
    about it: one without a nonce (cached), one with a fixed nonce (signed each time)."""
    import base64
    import urllib.parse
    import urllib.request

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import AuthorityInformationAccessOID

    body = {"profile": "webra-demo", "module": "webra", "workflow": "enroll"}
    body["template"] = {"csr": csr}
    request = urllib.request.Request(
        base + "/api/v1/requests/submit", data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        pem = json.loads(response.read())["certificate"]["certificate"]
    leaf = x509.load_pem_x509_certificate(pem.encode())
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method: d.access_location.value for d in aia}
    with urllib.request.urlopen(urls[AuthorityInformationAccessOID.CA_ISSUERS]) as response:
        issuer = x509.load_der_x509_certificate(response.read())
    responder = urllib.parse.urlsplit(urls[AuthorityInformationAccessOID.OCSP]).path

    def path(nonce: bytes | None) -> str:
        builder = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA256())
        if nonce:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        der = builder.build().public_bytes(Encoding.DER)
        return f"{responder}/" + urllib.parse.quote(base64.b64encode(der).decode(), safe="")

    paths = {"cached": path(None), "nonce": path(os.urandom(16))}
    for asked in paths.values():  # OCSP errors come with HTTP 200: check the answer itself
        with urllib.request.urlopen(base + asked) as response:
            answer = ocsp.load_der_ocsp_response(response.read())
        if (
            answer.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL
            or answer.certificate_status != ocsp.OCSPCertStatus.GOOD
        ):
            raise ValueError(f"OCSP answered {answer.response_status}, not good: {asked}")
    return paths
