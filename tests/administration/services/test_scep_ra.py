"""Renewing a CA's SCEP RA certificate (RFC 8894 §2.2) is an administrator's write: checked,
audited (by certificates/scep_ra.py), and a new configuration revision."""

import pytest

from administration.services import authorities
from certificates.scep_ra import current_ra
from raportal.errors import DomainError
from tests.administration.pki_material import make_pki


def test_an_administrator_renews_the_scep_ra_certificate_which_is_used_at_once(admin, pki, watch):
    before = current_ra(pki["issuing"])
    seen = watch()
    renewed = authorities.renew_scep_ra(admin, pki["issuing"])
    assert renewed.pk != before.pk and renewed.certificate_pem != before.certificate_pem
    assert current_ra(pki["issuing"]).pk == renewed.pk
    assert seen.actions() == ["scep.ra.create"] and seen.bumped()


def test_an_account_that_is_not_an_administrator_cannot_renew_it(user, pki):
    with pytest.raises(DomainError) as refusal:
        authorities.renew_scep_ra(user, pki["issuing"])
    assert (refusal.value.status, refusal.value.code) == (403, "SEC-PERM-001")
    assert not pki["issuing"].scep_ras.exists()


def test_a_ca_without_its_key_gets_no_scep_ra_certificate(admin, db):
    entry = authorities.add_ca_entry(admin, name="listed-root", certificate=make_pki("L")["root"])
    with pytest.raises(DomainError) as refusal:
        authorities.renew_scep_ra(admin, entry.authority)
    assert refusal.value.code == "REQ-002", refusal.value.detail
