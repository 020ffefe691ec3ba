"""One way to name things on every page (raportal/identifiers.py, the names template
library): display names with the technical name on hover, certificates by CN and short
serial, requests by short id — all escaped."""

import uuid

from django.template import Context, Template

from raportal import identifiers


def test_a_display_name_shows_with_its_technical_name_on_hover():
    assert str(identifiers.named("demo-team", "Demo team")) == (
        '<abbr class="tech-name" title="demo-team">Demo team</abbr>'
    )
    assert str(identifiers.named("demo-team")) == '<span class="tech-name">demo-team</span>'
    assert str(identifiers.named("x", "<b>X</b>")) == (
        '<abbr class="tech-name" title="x">&lt;b&gt;X&lt;/b&gt;</abbr>'
    )


def test_a_certificate_is_named_by_its_cn_and_short_serial_escaped():
    pk = uuid.uuid4()
    html = str(identifiers.certificate_link(pk, "CN=<i>web</i>,O=Example", "0A1B2C3D4E5F6071"))
    assert html == (
        f'<a href="/certificates/{pk}/">&lt;i&gt;web&lt;/i&gt; '
        '<code class="serial" title="serial 0a1b2c3d4e5f6071">0a1b2c3d…</code></a>'
    )


def test_the_common_name_is_read_between_unescaped_commas():
    assert identifiers.common_name(r"O=A\, Inc.,CN=web.example.com") == "web.example.com"
    assert identifiers.common_name(r"CN=Smith\, John,O=A") == "Smith, John"
    assert identifiers.common_name("O=A") == ""


def test_the_template_filters_name_teams_and_break_actions_after_dots():
    class Team:
        name, display_name = "demo-team", "Demo team"

    html = Template("{% load names %}{{ team|named }} {{ action|dotted }}").render(
        Context({"team": Team(), "action": "request.approve.<x>"})
    )
    assert html == (
        '<abbr class="tech-name" title="demo-team">Demo team</abbr> '
        '<code class="dotted">request.<wbr>approve.<wbr>&lt;x&gt;</code>'
    )
