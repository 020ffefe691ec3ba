"""The page catalogue (tests/browser/catalogue.py) the accessibility test, `make screenshots`
and the benchmarks visit: it covers every page of the URL conf, and each of its pages opens
for the account it lists it for, on the demo database."""

import pytest
from django.core.management import call_command

from tests.browser import catalogue


@pytest.fixture
def demo(db):
    call_command("init_pki", verbosity=0)
    call_command("seed_demo", force=True, verbosity=0)
    catalogue.seed_activity()
    return catalogue.world()


def test_every_route_is_in_the_catalogue_or_excluded_with_a_reason():
    listed = {entry.route for entry in catalogue.ENTRIES}
    forgotten = [
        route
        for route in catalogue.url_patterns()
        if route not in listed and catalogue.excluded_reason(route) is None
    ]
    assert forgotten == [], (
        "pages missing from tests/browser/catalogue.py (add an Entry, or an EXCLUDED reason "
        f"if it is no page to look at): {forgotten}"
    )


def test_the_catalogue_names_no_route_the_url_conf_lacks():
    routes = set(catalogue.url_patterns())
    stale = [r for r in {e.route for e in catalogue.ENTRIES} | set(catalogue.EXCLUDED)]
    assert [r for r in stale if r not in routes] == []


def test_each_account_opens_every_page_the_catalogue_lists_for_it(demo, client):
    for account in catalogue.ACCOUNTS:
        client.logout()
        if account != catalogue.ANONYMOUS:
            assert client.login(username=account, password=catalogue.password_of(account))
        pages = catalogue.pages(account, demo)
        assert len({page.name for page in pages}) == len(pages), "names are unique"
        for page in pages:
            response = client.get(page.url)
            assert response.status_code == 200, (account, page, response.status_code)


def test_approver_and_admin_pages_are_listed_for_them_only(demo):
    names = {
        account: {p.name for p in catalogue.pages(account, demo)} for account in catalogue.ACCOUNTS
    }
    approving, managing = {"approvals", "approval-decide"}, {"manage", "manage-audit"}
    assert approving <= names["approver"] & names["admin"]
    assert not approving & (names["requester"] | names["anonymous"])
    assert managing <= names["admin"]
    assert not managing & (names["requester"] | names["approver"] | names["anonymous"])
