"""Dynamic attributes are escaped for where they land: a DN with quotes, angle brackets or a
line break cannot break the JSON payload, the HTML mail, the URL or a header it is put in."""

import json

from triggers.templating import names_in, render

HOSTILE = {"request.dn": 'CN="x", O=<b>Evil</b>\r\nBcc: all@example.com'}


def test_a_json_payload_stays_valid_json_whatever_the_dn_holds():
    payload = render('{"dn": "{{request.dn}}"}', HOSTILE, "json")
    assert json.loads(payload) == {"dn": HOSTILE["request.dn"]}


def test_an_html_mail_shows_markup_as_text():
    assert render("<p>{{ request.dn }}</p>", HOSTILE, "html") == (
        "<p>CN=&quot;x&quot;, O=&lt;b&gt;Evil&lt;/b&gt;\r\nBcc: all@example.com</p>"
    )


def test_a_header_value_never_gains_a_line_break():
    assert "\n" not in render("{{request.dn}}", HOSTILE, "header")
    assert "\r" not in render("{{request.dn}}", HOSTILE, "header")


def test_a_url_gets_the_value_percent_encoded():
    assert render("https://h.example/{{request.dn}}", {"request.dn": "a/b c"}, "url") == (
        "https://h.example/a%2Fb%20c"
    )


def test_unknown_names_become_empty_and_lists_are_joined():
    assert render("[{{nope}}] {{certificate.dnsNames}}", {"certificate.dnsNames": ["a", "b"]}) == (
        "[] a, b"
    )
    assert names_in("{{a.b}} and {{ c }}") == ["a.b", "c"]
