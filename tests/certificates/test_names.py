"""Syntax of DN elements and SANs: what the portal accepts, and how it normalizes it."""

import pytest

from certificates.holder import holder_id
from certificates.pki import names


@pytest.mark.parametrize(
    ("san_type", "given", "stored"),
    [
        ("DNSNAME", "WWW.Example.COM.", "www.example.com"),
        ("DNSNAME", "xn--exmple-cua.com", "xn--exmple-cua.com"),
        ("IPADDRESS", "2001:0db8:0000::0001", "2001:db8::1"),
        ("RFC822NAME", "Alice@Example.COM", "Alice@example.com"),
        ("URI", "https://example.com/path?q=1", "https://example.com/path?q=1"),
        ("URI", "spiffe://prod.example.com/ns/web", "spiffe://prod.example.com/ns/web"),
        ("URI", "https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        (
            "OTHERNAME_GUID",
            "{6E8BC430-9C3A-11D9-9669-0800200C9A66}",
            "6e8bc430-9c3a-11d9-9669-0800200c9a66",
        ),
        ("RFC822NAME", "first.last+tag@example.com", "first.last+tag@example.com"),
        ("OTHERNAME_UPN", "alice@corp.example", "alice@corp.example"),
        ("REGISTERED_ID", "1.3.6.1.4.1.311", "1.3.6.1.4.1.311"),
    ],
)
def test_valid_sans_are_normalized(san_type, given, stored):
    assert names.normalize_san(san_type, given) == stored


@pytest.mark.parametrize(
    ("san_type", "given"),
    [
        ("DNSNAME", "under_score.example.com"),
        ("DNSNAME", "a..example.com"),
        ("DNSNAME", "x" * 64 + ".example.com"),
        ("DNSNAME", "www.*.example.com"),
        ("URI", "/relative/path"),
        ("URI", "https:///no-host"),
        ("URI", "http://exa mple.com"),
        ("REGISTERED_ID", "3.1.2"),
        ("OTHERNAME_UPN", "two words@example.com"),
        ("OTHERNAME_GUID", "not-a-guid"),
        ("OTHERNAME_UPN", "no-at-sign"),
        ("DNSNAME", "*.example.com"),  # wildcards only where the profile allows them
        ("DNSNAME", "localhost"),  # not fully qualified
        ("URI", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"),  # no host
        ("URI", "http://-bad-/"),
        ("IPADDRESS", "fe80::1%eth0"),
        ("IPADDRESS", "0.0.0.0"),
        ("IPADDRESS", "224.0.0.1"),
        ("RFC822NAME", "a@b@example.com"),
        ("RFC822NAME", "<x>@example.com"),
        ("RFC822NAME", "a..b@example.com"),
        ("REGISTERED_ID", "1.40"),
        ("REGISTERED_ID", "0.99"),
    ],
)
def test_invalid_sans_are_refused_with_a_reason(san_type, given):
    with pytest.raises(ValueError, match=r".+"):
        names.normalize_san(san_type, given)


def test_othernames_survive_a_round_trip_through_der():
    for san_type, value in [
        ("OTHERNAME_UPN", "alice@corp.example"),
        ("OTHERNAME_GUID", "6e8bc430-9c3a-11d9-9669-0800200c9a66"),
    ]:
        assert names.san_of(names.general_name(san_type, value)) == (san_type, value)


def test_dn_is_ordered_most_general_first_whatever_the_input_order():
    name = names.build_name([("cn.1", "web"), ("ou.1", "Ops"), ("o.1", "Example"), ("c.1", "FR")])
    assert names.name_string(name) == "CN=web,OU=Ops,O=Example,C=FR"
    assert [a.value for a in name] == ["FR", "Example", "Ops", "web"]


def test_a_csr_subject_maps_back_to_indexed_elements():
    name = names.build_name([("cn.1", "web"), ("ou.1", "A"), ("ou.2", "B")])
    assert names.name_to_elements(name) == [("ou.1", "A"), ("ou.2", "B"), ("cn.1", "web")]


def test_holder_id_ignores_san_order_case_and_extra_blanks():
    name_a = names.build_name([("cn.1", "Web  Server")])
    name_b = names.build_name([("cn.1", "web server")])
    sans_a = [("DNSNAME", "a.example.com"), ("DNSNAME", "B.example.com")]
    sans_b = [("DNSNAME", "b.example.com"), ("DNSNAME", "a.example.com")]
    assert holder_id(name_a, sans_a) == holder_id(name_b, sans_b)
    assert holder_id(name_a, sans_a) != holder_id(name_a, sans_a[:1])


def test_wildcards_pass_where_the_profile_allows_them():
    assert names.normalize_san("DNSNAME", "*.Example.com", allow_wildcard=True) == "*.example.com"
    with pytest.raises(ValueError, match="subdomain"):
        names.normalize_san("DNSNAME", "*.com", allow_wildcard=True)


def test_the_guid_is_encoded_in_active_directory_byte_order():
    general = names.general_name("OTHERNAME_GUID", "00112233-4455-6677-8899-aabbccddeeff")
    assert general.value == bytes.fromhex("041033221100554477668899aabbccddeeff")


@pytest.mark.parametrize(
    ("element", "value", "message"),
    [
        ("cn", "a" + "\u00e9" * 40, "cannot be encoded"),  # 41 characters, 81 UTF-8 bytes
        ("dc", "not valid", "DNS label"),
        ("serialNumber", "ABC_123", "may only contain"),
        ("e", "not-an-email", "email address"),
        ("c", "fr", "two-letter"),
    ],
)
def test_dn_values_that_cannot_be_encoded_are_refused_before_signing(element, value, message):
    with pytest.raises(ValueError, match=message):
        names.check_dn_value(names.DN_TYPES[element], value)
