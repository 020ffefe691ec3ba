"""The |dn filter: a DN that breaks between its RDNs only, escaped, the same text to copy."""

import re

from django.template import Context, Template

from raportal.templatetags.distinguished_names import dn, rdns


def test_each_rdn_is_kept_whole_with_a_break_opportunity_after_its_comma():
    html = dn("CN=web.example.com,O=RA Portal demo,C=FR")
    assert html == (
        '<span class="dn"><span class="rdn">CN=web.example.com,</span><wbr>'
        '<span class="rdn">O=RA Portal demo,</span><wbr><span class="rdn">C=FR</span></span>'
    )
    assert re.sub(r"<[^>]+>", "", html) == "CN=web.example.com,O=RA Portal demo,C=FR"


def test_an_escaped_comma_stays_inside_its_rdn():
    assert rdns(r"CN=Doe\, John,O=Example") == [r"CN=Doe\, John,", "O=Example"]
    assert rdns(r"CN=ends with a backslash\\,C=FR") == [r"CN=ends with a backslash\\,", "C=FR"]


def test_the_dn_is_escaped():
    html = dn('CN=<script>alert("x")</script>,O=A&B')
    assert "<script>" not in html and "&lt;script&gt;" in html and "A&amp;B" in html


def test_every_template_has_it_and_an_empty_dn_takes_the_default():
    template = Template('<code>{{ dn|dn|default:"(no subject)" }}</code>')
    assert template.render(Context({"dn": ""})) == "<code>(no subject)</code>"
    assert 'class="rdn"' in template.render(Context({"dn": "CN=a"}))
