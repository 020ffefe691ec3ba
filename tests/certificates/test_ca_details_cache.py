"""The CA list's decoded certificates (certificates/api.py pem_certificate_details): each CA
certificate is decoded once per process, keyed by its bytes, and every caller gets a copy."""

from unittest import mock

from certificates import api
from certificates.api import certificate_details, pem_certificate_details


def test_the_cached_details_are_those_of_the_certificate(pki):
    ca = pki["issuing"]
    assert pem_certificate_details(ca.certificate_pem) == certificate_details(ca.certificate)


def test_each_caller_gets_its_own_copy(pki):
    pem = pki["root"].certificate_pem
    first = pem_certificate_details(pem)
    first["dnElements"].clear()
    first["dn"] = "changed"
    again = pem_certificate_details(pem)
    assert again["dn"] != "changed" and again["dnElements"]


def test_listing_the_cas_again_decodes_no_certificate(pki, approver_api):
    status, first = approver_api.get("/api/v1/cas")
    assert status == 200, first
    assert len(first) == 2, first
    with mock.patch.object(
        api.x509, "load_pem_x509_certificate", side_effect=AssertionError("decoded again")
    ):
        status, again = approver_api.get("/api/v1/cas")
    assert status == 200, again
    assert again == first


def test_another_certificate_is_other_bytes_and_decoded_afresh(pki):
    root, issuing = pki["root"], pki["issuing"]
    assert (
        pem_certificate_details(root.certificate_pem)["dn"]
        != (pem_certificate_details(issuing.certificate_pem)["dn"])
    )
