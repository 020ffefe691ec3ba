"""Unicode in names: internationalized DNS labels checked with IDNA 2008 (RFC 5890-5893),
no invisible formatting or control characters in DN and SAN values, and values compared and
stored in NFC (Unicode normalization form C)."""

import re

import pytest

from certificates.holder import holder_id
from certificates.pki import names
from certificates.pki.csr import load_csr
from tests.factories import make_csr

CN = names.DN_TYPES["cn"]

# --- A-labels (xn--) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "xn--zz.example.com",  # not Punycode of anything valid
        "XN--ZZ.example.com",  # the prefix in any case
        "www.xn--a.example.com",  # decodes to U+0080, a control character
        "xn--ls8h.example.com",  # an emoji: DISALLOWED in IDNA 2008
        "xn--a-ecp.example.com",  # decodes to "a⒈": DISALLOWED
        "xn---bbk.example.com",  # a non-canonical spelling ("fake A-label", RFC 5890 §2.3.2.1)
    ],
)
def test_an_invalid_a_label_is_refused_naming_idna_2008(name):
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.normalize_san("DNSNAME", name)


@pytest.mark.parametrize("name", ["xn--bcher-kva-.example.com", "xn--.example.com"])
def test_an_a_label_ending_with_a_hyphen_is_refused_as_a_host_name(name):
    with pytest.raises(ValueError, match="not a valid host name"):
        names.normalize_san("DNSNAME", name)


def test_a_valid_a_label_is_kept_in_lower_case():
    assert names.normalize_san("DNSNAME", "XN--BCHER-KVA.example") == "xn--bcher-kva.example"
    assert names.normalize_san("DNSNAME", "xn--strae-oqa.de") == "xn--strae-oqa.de"


def test_invalid_a_labels_are_refused_in_email_domains_and_uri_hosts_too():
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.normalize_san("RFC822NAME", "alice@xn--zz.example.com")
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.normalize_san("URI", "https://xn--zz.example.com/")


def test_a_wildcard_name_is_checked_below_its_star():
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.normalize_san("DNSNAME", "*.xn--zz.example.com", allow_wildcard=True)


def test_a_right_to_left_label_next_to_a_label_breaking_the_bidi_rule_is_refused():
    # RFC 5893 §2: once a name holds a right-to-left label, every label follows the Bidi
    # rule; "0a" (a digit first, then a letter) does not.
    hebrew = names.normalize_san("DNSNAME", "xn--4dbrk0ce.example")  # ישראל.example
    assert hebrew == "xn--4dbrk0ce.example"
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.normalize_san("DNSNAME", "xn--4dbrk0ce.0a.example")


def test_a_label_mixing_latin_and_cyrillic_is_refused_unless_allowed():
    mixed = "xn--pple-43d.example.com"  # a Cyrillic a (U+0430), then Latin "pple"
    with pytest.raises(ValueError, match=r"mixes .*(Latin|Cyrillic).*(Latin|Cyrillic)"):
        names.normalize_san("DNSNAME", mixed)
    assert names.normalize_san("DNSNAME", mixed, mixed_scripts=True) == mixed


@pytest.mark.parametrize(
    "name",
    [
        "xn--80ak6aa92e.example.com",  # "apple" spelled in Cyrillic letters only: one script
        "xn--bcher-kva.example",  # bücher: Latin
        "xn--wgv71a119e.jp",  # 日本語: Han
        "xn--v8j0cwa6gzha3lrdr510cymwb.jp",  # ひらがなカタカナ漢字: Japanese mixes these
        "xn--4dkp5a8a.jp",  # ラーメン: the prolonged sound mark belongs to both kana
        "xn--mxacd.example",  # αβγ: Greek
        "xn--3e0b707e.kr",  # 한국: Hangul
    ],
)
def test_labels_in_one_script_or_a_usual_cjk_mix_pass(name):
    assert names.normalize_san("DNSNAME", name) == name


def test_a_u_label_is_refused_with_its_a_label_form_to_type_instead():
    with pytest.raises(ValueError, match=r"xn--bcher-kva\.example"):
        names.normalize_san("DNSNAME", "bücher.example")
    with pytest.raises(ValueError, match=r"xn--strae-oqa\.de"):  # IDNA 2008, not 2003
        names.normalize_san("DNSNAME", "straße.de")


def test_a_dns_looking_common_name_has_its_a_labels_checked():
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.check_dn_value(CN, "xn--zz.example.com")
    with pytest.raises(ValueError, match="mixes"):
        names.check_dn_value(CN, "xn--pple-43d.example.com")
    assert names.check_dn_value(CN, "xn--bcher-kva.example") == "xn--bcher-kva.example"
    assert names.check_dn_value(CN, "Xn--zz Team") == "Xn--zz Team"  # not a host name


def test_a_domain_component_a_label_is_checked():
    with pytest.raises(ValueError, match="IDNA 2008"):
        names.check_dn_value(names.DN_TYPES["dc"], "xn--zz")


# --- invisible and control characters -----------------------------------------------------

INVISIBLE = [
    ("\u202e", "U+202E"),  # RIGHT-TO-LEFT OVERRIDE
    ("\u200b", "U+200B"),  # ZERO WIDTH SPACE
    ("\u2066", "U+2066"),  # LEFT-TO-RIGHT ISOLATE
    ("\ufeff", "U+FEFF"),  # ZERO WIDTH NO-BREAK SPACE (BOM)
    ("\u00ad", "U+00AD"),  # SOFT HYPHEN
    ("\u009b", "U+009B"),  # CONTROL SEQUENCE INTRODUCER: a C1 control character
]


@pytest.mark.parametrize(("char", "code"), INVISIBLE)
def test_invisible_characters_in_a_dn_value_are_refused_naming_them(char, code):
    with pytest.raises(ValueError, match=re.escape(code)):
        names.check_dn_value(CN, f"alice{char}admin")
    with pytest.raises(ValueError, match=re.escape(code)):
        names.check_dn_value(names.DN_TYPES["o"], f"Example{char} Corp")


@pytest.mark.parametrize(("char", "code"), INVISIBLE)
@pytest.mark.parametrize(
    ("san_type", "template"),
    [
        ("DNSNAME", "www{}.example.com"),
        ("RFC822NAME", "alice{}@example.com"),
        ("OTHERNAME_UPN", "alice{}@corp.example"),
        ("URI", "https://example.com/{}"),
    ],
)
def test_invisible_characters_in_a_san_value_are_refused_naming_them(
    san_type, template, char, code
):
    with pytest.raises(ValueError, match=re.escape(code)):
        names.normalize_san(san_type, template.format(char))


def test_dn_and_san_values_are_stored_in_nfc():
    decomposed = "Cafe\u0301"  # e + COMBINING ACUTE ACCENT
    assert names.check_dn_value(CN, decomposed) == "Caf\u00e9"
    assert names.normalize_san("OTHERNAME_UPN", "jose\u0301@corp.example") == (
        "jos\u00e9@corp.example"
    )


def test_the_holder_id_is_the_same_for_composed_and_decomposed_forms():
    composed = names.build_name([("cn.1", "Caf\u00e9")])
    decomposed = names.build_name([("cn.1", "Cafe\u0301")])
    upn = [("OTHERNAME_UPN", "jos\u00e9@corp.example")]
    upn_decomposed = [("OTHERNAME_UPN", "jose\u0301@corp.example")]
    assert holder_id(composed, upn) == holder_id(decomposed, upn_decomposed)


def test_a_csr_whose_subject_holds_a_bidi_override_is_refused():
    csr, _ = make_csr(subject=[("cn.1", "moc.elgoog\u202egoogle.com")])
    with pytest.raises(ValueError, match=r"U\+202E"):
        load_csr(csr)


def test_a_csr_whose_sans_hold_a_zero_width_space_are_refused():
    csr, _ = make_csr(sans=[("OTHERNAME_UPN", "admin\u200b@corp.example")])
    with pytest.raises(ValueError, match=r"U\+200B"):
        load_csr(csr)
