"""Profiles kept in memory per process (profiles/cache.py): a submission reads one revision
token instead of loading the profile, and every kind of configuration change is seen at once."""

import pytest
from django.db import transaction

from certificates.models import CertificateAuthority
from certificates.services import current_crl
from profiles import cache, revision
from profiles.models import LabelRule, PasswordPolicy, Profile, SanRule, SubjectRule, Team
from raportal.errors import DomainError
from requests_app.workflows.lookups import find_profile


@pytest.fixture(autouse=True)
def _empty_cache():
    cache._profiles.clear()
    yield
    cache._profiles.clear()


def rules_of(profile):
    return {
        "subject": [(r.element, r.mandatory, r.regex) for r in profile.subject_rules.all()],
        "san": [(r.san_type, r.min, r.max) for r in profile.san_rules.all()],
        "label": [(r.label, r.enum) for r in profile.label_rules.all()],
    }


def test_a_second_lookup_of_an_unchanged_profile_costs_one_query(
    profile, django_assert_num_queries
):
    find_profile(profile.name, "webra")
    with django_assert_num_queries(1):
        again = find_profile(profile.name, "webra")
        rules_of(again)
        assert again.ca.parent.name and again.password_policy_id is None


def test_each_lookup_gets_its_own_copy(profile):
    first = find_profile(profile.name, "webra")
    first.validity_days = 1
    first.subject_rules.all()[0].regex = "changed"
    second = find_profile(profile.name, "webra")
    assert second.validity_days == profile.validity_days
    assert second.subject_rules.all()[0].regex == ""


@pytest.mark.parametrize(
    "change",
    [
        "rule saved",
        "rule updated in bulk",
        "rule created in bulk",
        "rule deleted",
        "rules deleted in bulk",
        "rules bulk-updated",
        "profile saved",
        "profile disabled in bulk",
        "CA saved",
        "default team renamed",
        "password policy changed",
    ],
)
def test_every_kind_of_configuration_change_is_seen_by_the_next_lookup(profile, team, change):
    Profile.objects.filter(pk=profile.pk).update(team_default=team)
    find_profile(profile.name, "webra")  # cached
    rule = SubjectRule.objects.get(profile=profile, element="o.1")
    expect = None
    if change == "rule saved":
        rule.mandatory = True
        rule.save()
        expect = lambda p: rules_of(p)["subject"][1] == ("o.1", True, "")  # noqa: E731
    elif change == "rule updated in bulk":
        SanRule.objects.filter(profile=profile, san_type="DNSNAME").update(max=9)
        expect = lambda p: ("DNSNAME", 0, 9) in rules_of(p)["san"]  # noqa: E731
    elif change == "rule created in bulk":
        LabelRule.objects.bulk_create([LabelRule(profile=profile, label="app")])
        expect = lambda p: ("app", []) in rules_of(p)["label"]  # noqa: E731
    elif change == "rule deleted":
        rule.delete()
        expect = lambda p: "o.1" not in [e for e, _, _ in rules_of(p)["subject"]]  # noqa: E731
    elif change == "rules deleted in bulk":
        profile.label_rules.all().delete()
        expect = lambda p: rules_of(p)["label"] == []  # noqa: E731
    elif change == "rules bulk-updated":
        rule.regex = "^[a-z]+$"
        SubjectRule.objects.bulk_update([rule], ["regex"])
        expect = lambda p: rules_of(p)["subject"][1] == ("o.1", False, "^[a-z]+$")  # noqa: E731
    elif change == "profile saved":
        profile.refresh_from_db()
        profile.validity_days = 30
        profile.save()
        expect = lambda p: p.validity_days == 30  # noqa: E731
    elif change == "profile disabled in bulk":
        Profile.objects.filter(pk=profile.pk).update(enabled=False)
        with pytest.raises(DomainError) as refused:
            find_profile(profile.name, "webra")
        assert refused.value.code == "REQ-010"
        return
    elif change == "CA saved":
        ca = CertificateAuthority.objects.get(pk=profile.ca_id)
        ca.crl_validity_hours = 5
        ca.save()
        expect = lambda p: p.ca.crl_validity_hours == 5  # noqa: E731
    elif change == "default team renamed":
        Team.objects.filter(pk=team.pk).update(display_name="Renamed")
        expect = lambda p: p.team_default.display_name == "Renamed"  # noqa: E731
    elif change == "password policy changed":
        policy = PasswordPolicy.objects.create(name="strict", min_length=20)
        Profile.objects.filter(pk=profile.pk).update(password_policy=policy)
        PasswordPolicy.objects.filter(pk=policy.pk).update(min_length=30)
        expect = lambda p: p.password_policy.min_length == 30  # noqa: E731
    assert expect(find_profile(profile.name, "webra")), change


def test_crl_bookkeeping_does_not_empty_the_cache_and_is_never_read_stale(
    profile, django_assert_num_queries
):
    find_profile(profile.name, "webra")
    token = revision.current()
    ca = CertificateAuthority.objects.get(pk=profile.ca_id)
    current_crl(ca)  # saves crl_number, crl_der, crl_next_update, crl_stale
    CertificateAuthority.objects.filter(pk=ca.pk).update(crl_stale=True)
    assert revision.current() == token
    cached = find_profile(profile.name, "webra")
    # CRL fields are deferred in the cache: reading one loads the current value.
    with django_assert_num_queries(1):
        assert cached.ca.crl_stale is True


def test_a_rolled_back_change_never_makes_its_revision_current(profile):
    before = revision.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        SubjectRule.objects.filter(profile=profile).update(regex="^x$")
        inside = revision.current()
        assert inside != before
        assert all(
            r.regex == "^x$" for r in find_profile(profile.name, "webra").subject_rules.all()
        )
        raise RuntimeError("roll back")
    assert revision.current() == before
    assert all(r.regex != "^x$" for r in find_profile(profile.name, "webra").subject_rules.all())
