"""Every page of the catalogue (tests/browser/catalogue.py), for each demo account, in Chromium:
axe-core (from npm: package.json, installed by `make test`) finds no serious or critical
violation at desktop size, and at phone size the page body does not scroll sideways.

With RAPORTAL_SCREENSHOTS=1 (`make screenshots`) each page is also photographed at both sizes
into test-artifacts/screenshots/pages/ for reviewers."""

import os
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser import catalogue
from tests.browser.conftest import SCREENSHOTS, sign_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
TAKE_SCREENSHOTS = os.environ.get("RAPORTAL_SCREENSHOTS") == "1"

# Skipped without axe-core, unless told it must be there (.ci/run does: CI must not pass
# without the accessibility check having run).
pytestmark = pytest.mark.skipif(
    not AXE.exists() and not os.environ.get("RAPORTAL_TEST_REQUIRE_AXE"),
    reason=f"no {AXE}: `make test` installs it (npm ci)",
)

# axe.run in the page: the violations, each with its nodes' selectors (JSON-able).
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""

# What sticks out past the viewport's right edge (the elements to fix), when the body scrolls.
OVERFLOW = """() => {
  const root = document.documentElement, edge = root.clientWidth + 1;
  if (root.scrollWidth <= root.clientWidth) return null;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim()
       ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const right = el.getBoundingClientRect().right;
    // Past the viewport's edge and sticking out of its parent: where the overflow starts.
    if (right > edge && right > el.parentElement.getBoundingClientRect().right + 1) {
      wide.push(name(el) + " (right " + Math.round(right) + "px)");
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, culprits: wide.slice(0, 8)};
}"""


@pytest.fixture
def demo(transactional_db):
    """The database `make run` builds (init_pki, seed_demo) with the catalogue's objects."""
    call_command("init_pki", verbosity=0)
    call_command("seed_demo", force=True, verbosity=0)
    catalogue.seed_activity()
    return catalogue.world()


def _context(browser, live_server, account: str, viewport: dict):
    # Reduced motion: Bootstrap then draws no colour transitions, which axe would otherwise
    # catch half-way (a section tab the editor's script has just made active, its text
    # neither white nor blue yet, failed color-contrast once in CI).
    context = browser.new_context(
        base_url=live_server.url,
        timezone_id="Europe/Paris",
        viewport=viewport,
        reduced_motion="reduce",
    )
    context.add_init_script(path=str(AXE))  # not subject to the pages' CSP (no inline script)
    page = context.new_page()
    page.set_default_timeout(15_000)
    if account != catalogue.ANONYMOUS:
        sign_in(page, account, catalogue.password_of(account))
    return context, page


def _open(page, target: catalogue.Page) -> str:
    """Opens the page; returns what went wrong ('' when it answered 200)."""
    response = page.goto(target.url, wait_until="load")
    if response is None or response.status != 200:
        return f"answered {response.status if response else 'nothing'}"
    if target.ready:
        page.wait_for_selector(target.ready)
    return ""


def _shoot(page, account: str, name: str, size: str) -> None:
    if TAKE_SCREENSHOTS:
        folder = SCREENSHOTS / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{account}--{name}--{size}.png"), full_page=True)


def _axe_problems(page) -> list[str]:
    problems = []
    for violation in page.evaluate(RUN_AXE):
        if violation["impact"] not in BLOCKING:
            continue
        nodes = "; ".join(node["target"] for node in violation["nodes"][:6])
        more = len(violation["nodes"]) - 6
        problems.append(
            f"{violation['id']} ({violation['impact']}: {violation['help']}) on {nodes}"
            + (f" and {more} more" if more > 0 else "")
        )
    return problems


@pytest.mark.parametrize("account", catalogue.ACCOUNTS)
def test_every_page_passes_axe_and_fits_a_phone_for_each_demo_account(
    browser, live_server, demo, account
):
    started = time.monotonic()
    pages = catalogue.pages(account, demo)
    failures: list[str] = []
    desktop, on_desktop = _context(browser, live_server, account, DESKTOP)
    phone, on_phone = _context(browser, live_server, account, PHONE)
    try:
        for page in pages:
            where = f"{account} {page.name} {page.url}"
            wrong = _open(on_desktop, page)
            if wrong:
                failures.append(f"{where}: {wrong}")
                continue
            failures += [f"{where}: {problem}" for problem in _axe_problems(on_desktop)]
            _shoot(on_desktop, account, page.name, "desktop")
            wrong = _open(on_phone, page)
            overflow = None if wrong else on_phone.evaluate(OVERFLOW)
            if overflow:
                failures.append(
                    f"{where}: at 390x844 the page scrolls sideways (scrollWidth "
                    f"{overflow['scrollWidth']} > {overflow['clientWidth']}): "
                    + ", ".join(overflow["culprits"])
                )
            _shoot(on_phone, account, page.name, "phone")
    finally:
        desktop.close()
        phone.close()
    elapsed = time.monotonic() - started
    print(f"{account}: {len(pages)} pages in {elapsed:.1f}s")
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
