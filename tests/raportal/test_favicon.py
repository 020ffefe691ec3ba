"""Every page names the portal's icon, and /favicon.ico (asked by browsers and tools of any
page) leads to it instead of a 404."""

from django.contrib.staticfiles import finders


def test_favicon_ico_redirects_to_the_portal_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301, response.content[:200]
    assert response["Location"].endswith(".svg"), response["Location"]
    assert finders.find("favicon.svg") is not None


def test_pages_link_the_icon(client):
    page = client.get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon" in page, page[:500]
