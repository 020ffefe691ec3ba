"""ACME (RFC 8555) end to end with certbot against a live portal: account, order, http-01
answered by certbot's standalone server, finalize, download; the certificate verifies and
passes pkilint; certbot revokes it and the CRL says so. On a profile requiring External
Account Binding, certbot succeeds with a key made in the portal and is refused without."""

import subprocess

import pytest
from cryptography import x509

from acme_server.eab import create_eab_key
from acme_server.models import AcmeAccount, AcmeOrder, OrderStatus
from certificates.models import Certificate
from certificates.pki.fingerprints import thumbprint
from certificates.services import current_crl
from requests_app.models import Request, Status
from tests.acme.conftest import BIN, certbot, explain
from tests.factories import grant

# Slow (`make test-fast` leaves it out): runs certbot against a live server.
pytestmark = pytest.mark.slow

NAME = "www.acme.test"


def directory(live_server, profile) -> str:
    return f"{live_server.url}/acme/{profile.name}/directory"


def certonly(live_server, profile, folder, port, *extra: str, name: str = NAME):
    return certbot(
        folder, "certonly", "--standalone", "--agree-tos", "--register-unsafely-without-email",
        "--server", directory(live_server, profile),
        "--http-01-port", str(port), "--http-01-address", "127.0.0.1",
        "-d", name, *extra,
    )  # fmt: skip


def live_files(folder, name: str = NAME):
    return folder / "config" / "live" / name


def openssl_verify(pki, tmp_path, leaf_path) -> subprocess.CompletedProcess:
    root, issuing = tmp_path / "root.pem", tmp_path / "issuing.pem"
    root.write_text(pki["root"].certificate_pem)
    issuing.write_text(pki["issuing"].certificate_pem)
    return subprocess.run(
        ["openssl", "verify", "-CAfile", str(root), "-untrusted", str(issuing), str(leaf_path)],
        capture_output=True, text=True,
    )  # fmt: skip


def ocsp_status(live_server, leaf, pki, tmp_path, leaf_path) -> str:
    """What ``openssl ocsp`` hears at the path the certificate's AIA names (on the live
    server: the tests' base URL is not this one), signature checked."""
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    url = next(
        d.access_location.value
        for d in aia
        if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP
    )
    url = live_server.url + "/" + url.split("/", 3)[3]
    chain = tmp_path / "chain.pem"
    chain.write_text(pki["issuing"].certificate_pem + pki["root"].certificate_pem)
    issuer = tmp_path / "issuer.pem"
    issuer.write_text(pki["issuing"].certificate_pem)
    result = subprocess.run(
        ["openssl", "ocsp", "-issuer", str(issuer), "-cert", str(leaf_path), "-url", url,
         "-CAfile", str(chain)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Response verify OK" in result.stderr + result.stdout, result.stdout + result.stderr
    return result.stdout.split(f"{leaf_path}: ", 1)[1].split()[0]


def test_certbot_gets_a_certificate_over_http01_and_revokes_it(
    live_server, pki, acme_demo, http01_port, tmp_path
):
    folder = tmp_path / "certbot"
    result = certonly(live_server, acme_demo, folder, http01_port)
    assert result.returncode == 0, explain(result)

    leaf_path = live_files(folder) / "cert.pem"
    leaf = x509.load_pem_x509_certificate(leaf_path.read_bytes())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [NAME]
    verified = openssl_verify(pki, tmp_path, leaf_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    linted = subprocess.run(
        [str(BIN / "lint_pkix_cert"), "lint", "-s", "ERROR", str(leaf_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert linted.returncode == 0, linted.stdout + linted.stderr

    row = Certificate.objects.get(thumbprint=thumbprint(leaf))
    assert row.profile == acme_demo and row.module == "acme"
    request = Request.objects.get(certificate=row, workflow="enroll")
    assert (request.module, request.status) == ("acme", Status.COMPLETED)
    order = AcmeOrder.objects.get(request=request)
    assert order.status == OrderStatus.VALID

    assert ocsp_status(live_server, leaf, pki, tmp_path, leaf_path) == "good"

    revoked = certbot(
        folder, "revoke", "--server", directory(live_server, acme_demo),
        "--cert-path", str(leaf_path), "--reason", "keycompromise", "--no-delete-after-revoke",
    )  # fmt: skip
    assert revoked.returncode == 0, explain(revoked)
    row.refresh_from_db()
    assert row.revoked and row.revocation_reason == "keycompromise"
    crl = x509.load_der_x509_crl(current_crl(pki["issuing"]))
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
    assert ocsp_status(live_server, leaf, pki, tmp_path, leaf_path) == "revoked"


def test_certbot_is_refused_without_external_account_binding_where_the_profile_requires_it(
    live_server, pki, acme_eab, http01_port, tmp_path
):
    # certbot reads the directory's meta.externalAccountRequired and stops before asking;
    # the server's own refusal (externalAccountRequired) is in test_accounts.py.
    result = certonly(live_server, acme_eab, tmp_path / "certbot", http01_port)
    assert result.returncode != 0
    assert "requires external account binding" in result.stderr, explain(result)
    assert not AcmeAccount.objects.exists()


def test_certbot_enrolls_with_an_eab_key_made_for_a_team_in_the_portal(
    live_server, pki, acme_eab, http01_port, tmp_path, approver, requester
):
    from tests.factories import TeamFactory

    team = TeamFactory(name="web")
    team.members.add(requester)
    grant(acme_eab, team, "perform")
    key, hmac_key = create_eab_key(profile=acme_eab, team=team, actor=approver)
    result = certonly(
        live_server, acme_eab, tmp_path / "certbot", http01_port,
        f"--eab-kid={key.kid}", f"--eab-hmac-key={hmac_key}",  # a kid may start with "-"
    )  # fmt: skip
    assert result.returncode == 0, explain(result)
    account = AcmeAccount.objects.get()
    assert account.team == team and account.eab_key == key
    row = Certificate.objects.get(profile=acme_eab)
    assert row.team == team
    assert Certificate.objects.visible_to(requester).filter(pk=row.pk).exists()
