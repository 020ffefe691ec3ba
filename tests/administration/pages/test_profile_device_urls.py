"""The profile editor tells the administrator where devices enroll: for an EST profile its
EST URLs (RFC 7030 §3.2.2), for a SCEP profile its SCEP URL, absolute, from
RAPORTAL_BASE_URL."""

from tests.factories import ProfileFactory

BASE = "https://ra.example.net"


def test_an_est_profile_shows_its_est_urls(pki, signed_in, settings):
    settings.RAPORTAL_BASE_URL = BASE + "/"
    ProfileFactory(name="routers", module="est", ca=pki["issuing"])
    html = signed_in.get("/manage/profiles/routers/").content.decode()
    assert f"<code>{BASE}/.well-known/est/routers/</code>" in html, html
    for operation in ("cacerts", "simpleenroll", "simplereenroll", "csrattrs"):
        assert f"<code>{BASE}/.well-known/est/routers/{operation}</code>" in html, operation
    assert "/scep/" not in html


def test_a_scep_profile_shows_its_scep_url(pki, signed_in, settings):
    settings.RAPORTAL_BASE_URL = BASE
    ProfileFactory(name="phones", module="scep", ca=pki["issuing"])
    html = signed_in.get("/manage/profiles/phones/").content.decode()
    assert f"<code>{BASE}/scep/phones</code>" in html, html
    assert ".well-known/est" not in html


def test_the_urls_use_the_configured_base_url_not_the_host_the_page_was_opened_with(
    pki, signed_in, settings
):
    settings.RAPORTAL_BASE_URL = BASE
    settings.ALLOWED_HOSTS = ["*"]
    ProfileFactory(name="phones", module="scep", ca=pki["issuing"])
    html = signed_in.get("/manage/profiles/phones/", HTTP_HOST="evil.example").content.decode()
    assert f"{BASE}/scep/phones" in html and "evil.example/scep" not in html


def test_a_webra_profile_shows_no_device_urls(pki, signed_in):
    ProfileFactory(name="web", module="webra", ca=pki["issuing"])
    html = signed_in.get("/manage/profiles/web/").content.decode()
    assert 'id="device-urls"' not in html and ".well-known/est" not in html


def test_a_new_profile_shows_no_device_urls(pki, signed_in):
    html = signed_in.get("/manage/profiles/new/").content.decode()
    assert 'id="device-urls"' not in html
