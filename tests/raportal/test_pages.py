"""The landing page, login and the API documentation render without a CDN."""


def test_home_page_lists_the_cas_and_links_the_crls(pki, client):
    response = client.get("/")
    assert response.status_code == 200
    assert f"/pki/{pki['issuing'].name}.crl".encode() in response.content
    assert b"cdn" not in response.content.lower()


def test_home_page_leads_a_signed_in_requester_to_their_next_step(profile, requester, client):
    client.force_login(requester)
    content = client.get("/").content
    assert b'href="/enroll/"' in content and b'href="/requests/"' in content


def test_login_page_has_a_csrf_token(db, client):
    response = client.get("/login/")
    assert response.status_code == 200 and b"csrfmiddlewaretoken" in response.content


def test_login_then_logout(requester, client):
    response = client.post("/login/", {"username": "requester", "password": "pw-for-tests-123"})
    assert response.status_code == 302
    assert b"Sign out" in client.get("/").content
    client.post("/logout/")
    assert b"Sign in" in client.get("/").content


def test_swagger_ui_and_schema_are_served_locally(db, client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn.jsdelivr" not in docs.content


def test_the_api_docs_lead_back_to_the_portal_in_a_page_with_a_language(db, client):
    page = client.get("/api/docs/").content.decode()
    assert '<html lang="en">' in page
    assert '<nav aria-label="Portal">' in page and 'href="/">Back to the portal</a>' in page


def test_bootstrap_is_served_from_the_package(client, db):
    response = client.get("/static/bootstrap/css/bootstrap.min.css")
    assert response.status_code == 200
