"""Import from the page (issue 17): the key comes in its PKCS#12 file with the file's
password, never pasted unencrypted; the certificate alone where the profile keeps no keys.
The same import service as the API's."""

import logging

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.models import Certificate
from certificates.services import escrowed_private_key
from requests_app.models import Request
from tests.requests_app.test_import import external_certificate

FILE_PASSWORD = "File-Password-42-secret"


def pkcs12_of(pem: str | None, key_pem: str | None, password: str | None, *, extra=()) -> bytes:
    """A PKCS#12 file holding this certificate and key (either may be None), as a browser's
    or a server's export would."""
    certificate = x509.load_pem_x509_certificate(pem.encode()) if pem else None
    key = serialization.load_pem_private_key(key_pem.encode(), None) if key_pem else None
    protection = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        b"legacy", key, certificate, list(extra) or None, protection
    )


def upload(data: bytes, name: str = "legacy.p12") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/x-pkcs12")


def post(client, *, profile="webra-demo", **fields):
    return client.post("/import/", {"profile": profile, "requester_comment": ""} | fields)


@pytest.fixture
def no_escrow(profile):
    profile.escrow = False
    profile.save()
    return profile


def test_the_import_page_asks_for_a_pkcs12_and_its_password_never_a_pasted_key(
    profile, requester, client
):
    client.force_login(requester)
    page = client.get("/import/").content.decode()
    assert 'enctype="multipart/form-data"' in page, page
    assert 'type="file" name="pkcs12_file"' in page and 'accept=".p12,.pfx' in page, page
    assert 'type="password" name="pkcs12_password"' in page, page
    assert 'name="private_key' not in page and "unencrypted" not in page, page
    assert "keys kept: upload the PKCS#12" in page, page


def test_a_pkcs12_file_and_its_password_import_the_certificate_with_its_key_kept(
    profile, approver, client
):
    pem, key_pem = external_certificate()
    client.force_login(approver)
    response = post(
        client,
        pkcs12_file=upload(pkcs12_of(pem, key_pem, FILE_PASSWORD)),
        pkcs12_password=FILE_PASSWORD,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    imported = Certificate.objects.get(dn="CN=legacy.example.com")
    assert imported.escrowed and imported.pem.strip() == pem.strip()
    original = serialization.load_pem_private_key(key_pem.encode(), None)
    assert escrowed_private_key(imported).public_key() == original.public_key()


def test_a_requester_s_pkcs12_import_waits_for_approval(profile, requester, client):
    pem, key_pem = external_certificate()
    client.force_login(requester)
    response = post(
        client,
        pkcs12_file=upload(pkcs12_of(pem, key_pem, FILE_PASSWORD)),
        pkcs12_password=FILE_PASSWORD,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Request.objects.get(workflow="import").status == "pending"


def test_a_wrong_password_is_reported_beside_the_password(profile, approver, client):
    pem, key_pem = external_certificate()
    client.force_login(approver)
    response = post(
        client,
        pkcs12_file=upload(pkcs12_of(pem, key_pem, FILE_PASSWORD)),
        pkcs12_password="Not-the-password-1",
    )
    errors = response.context["form"].errors
    assert errors == {"pkcs12_password": ["This password does not open this file."]}, errors
    assert not Request.objects.exists()


def test_a_protected_file_sent_without_its_password_asks_for_it(profile, approver, client):
    pem, key_pem = external_certificate()
    client.force_login(approver)
    response = post(client, pkcs12_file=upload(pkcs12_of(pem, key_pem, FILE_PASSWORD)))
    errors = response.context["form"].errors
    assert errors == {"pkcs12_password": ["This file is protected: type its password."]}, errors


def test_a_file_that_is_not_a_pkcs12_is_reported_beside_the_file(profile, approver, client):
    pem, _ = external_certificate()
    client.force_login(approver)
    response = post(client, pkcs12_file=upload(pem.encode(), "legacy.pem"), pkcs12_password="x")
    errors = response.context["form"].errors
    assert errors == {"pkcs12_file": ["This file is not a PKCS#12 (.p12 or .pfx) file."]}, errors


def test_a_key_that_belongs_to_no_certificate_of_the_file_is_refused(profile, approver, client):
    pem, _ = external_certificate()
    _, other_key_pem = external_certificate("other.example.com")
    client.force_login(approver)
    data = pkcs12_of(
        None, other_key_pem, FILE_PASSWORD, extra=[x509.load_pem_x509_certificate(pem.encode())]
    )
    response = post(client, pkcs12_file=upload(data), pkcs12_password=FILE_PASSWORD)
    errors = response.context["form"].errors
    assert errors == {
        "pkcs12_file": ["The key in this file does not belong to any certificate in it."]
    }, errors


def test_a_pkcs12_holding_only_the_key_goes_with_the_certificate_given_alone(
    profile, approver, client
):
    pem, key_pem = external_certificate()
    _, other_key_pem = external_certificate("other.example.com")
    client.force_login(approver)
    wrong = post(
        client,
        certificate=pem,
        pkcs12_file=upload(pkcs12_of(None, other_key_pem, FILE_PASSWORD)),
        pkcs12_password=FILE_PASSWORD,
    )
    assert wrong.context["form"].errors == {
        "pkcs12_file": ["The key in this file does not belong to the certificate."]
    }, wrong.context["form"].errors
    right = post(
        client,
        certificate=pem,
        pkcs12_file=upload(pkcs12_of(None, key_pem, FILE_PASSWORD)),
        pkcs12_password=FILE_PASSWORD,
    )
    assert right.status_code == 302, right.content.decode()[:3000]
    assert Certificate.objects.get(dn="CN=legacy.example.com").escrowed


def test_a_certificate_given_beside_a_pkcs12_must_be_the_same(profile, approver, client):
    pem, key_pem = external_certificate()
    other_pem, _ = external_certificate("other.example.com")
    client.force_login(approver)
    response = post(
        client,
        certificate=other_pem,
        pkcs12_file=upload(pkcs12_of(pem, key_pem, FILE_PASSWORD)),
        pkcs12_password=FILE_PASSWORD,
    )
    errors = response.context["form"].errors
    assert errors == {
        "certificate": ["This is not the certificate in the PKCS#12 file: give one or the other."]
    }, errors


def test_the_certificate_alone_is_imported_where_the_profile_keeps_no_keys(
    no_escrow, approver, client
):
    pem, _ = external_certificate()
    client.force_login(approver)
    response = post(client, certificate=pem)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Certificate.objects.get(dn="CN=legacy.example.com").escrowed


def test_a_pkcs12_with_a_key_on_a_profile_that_keeps_none_imports_the_certificate_alone(
    no_escrow, approver, client
):
    pem, key_pem = external_certificate()
    client.force_login(approver)
    response = post(
        client,
        pkcs12_file=upload(pkcs12_of(pem, key_pem, FILE_PASSWORD)),
        pkcs12_password=FILE_PASSWORD,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    imported = Certificate.objects.get(dn="CN=legacy.example.com")
    assert not imported.escrowed and imported.pem.strip() == pem.strip()
    said = [str(m) for m in response.wsgi_request._messages]
    assert any("without the key of the PKCS#12 file" in m for m in said), said


def test_the_file_s_password_and_key_are_never_logged(profile, approver, client, caplog):
    pem, key_pem = external_certificate()
    client.force_login(approver)
    data = pkcs12_of(pem, key_pem, FILE_PASSWORD)
    key_line = key_pem.strip().splitlines()[1]
    with caplog.at_level(logging.DEBUG):
        post(client, pkcs12_file=upload(data), pkcs12_password="Wrong-password-2")
        post(client, profile="nope", pkcs12_file=upload(data), pkcs12_password=FILE_PASSWORD)
        done = post(client, pkcs12_file=upload(data), pkcs12_password=FILE_PASSWORD)
    assert done.status_code == 302, done.content.decode()[:3000]
    for secret in (FILE_PASSWORD, "Wrong-password-2", key_line, "PRIVATE KEY"):
        assert secret not in caplog.text, secret[:6]
    page = client.get(done["Location"]).content.decode()
    assert FILE_PASSWORD not in page and "PRIVATE KEY" not in page


def test_a_der_certificate_chosen_as_the_pkcs12_is_not_mistaken_for_a_wrong_password(
    profile, approver, client
):
    pem, _ = external_certificate()
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    client.force_login(approver)
    response = post(client, pkcs12_file=upload(der, "legacy.cer"), pkcs12_password="x")
    errors = response.context["form"].errors
    assert errors == {"pkcs12_file": ["This file is not a PKCS#12 (.p12 or .pfx) file."]}, errors


def test_an_unprotected_pkcs12_needs_no_password(profile, approver, client):
    pem, key_pem = external_certificate()
    client.force_login(approver)
    response = post(client, pkcs12_file=upload(pkcs12_of(pem, key_pem, None)))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Certificate.objects.get(dn="CN=legacy.example.com").escrowed
