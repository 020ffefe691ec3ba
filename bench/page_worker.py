"""One side of ``bench/pages.py``: a process serving page timings for one source tree.

Started as ``python bench/page_worker.py <tree>``, with the environment bench/pages.py sets
(database, secrets, static root). It puts ``<tree>`` first on ``sys.path``, so the same worker
file times the current tree and a baseline checkout against the same database. It reads one
JSON command per line on stdin and answers one JSON line on stdout:

    {"op": "pages"}                                  -> {"pages": [[account, url], ...]}
    {"op": "time", "account": "approver", "url": "/"} -> {"status": 200, "ms": 12.3}
    {"op": "queries", "account": ..., "url": ...}     -> {"status": 200, "queries": 17}

``account`` is a username (signed in with force_login) or "" for an anonymous visitor.
"""

import json
import os
import sys
import time
from pathlib import Path

# Replies go to the original stdout; anything else printed (log lines) goes to stderr.
REPLIES = os.fdopen(os.dup(sys.stdout.fileno()), "w")
os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

TREE = Path(sys.argv[1]).resolve()
sys.path[:1] = [str(TREE)]  # this tree's code, not bench/'s directory
# Nor the checkout the virtualenv's editable install maps the project to (see bench/in_tree.py).
sys.meta_path[:] = [
    finder
    for finder in sys.meta_path
    if not getattr(finder, "__module__", "").startswith("__editable__")
]
os.chdir(TREE)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

_clients: dict[str, Client] = {}


def client_for(account: str) -> Client:
    if account not in _clients:
        client = Client()
        if account:
            client.force_login(get_user_model().objects.get(username=account))
        _clients[account] = client
    return _clients[account]


def pages() -> list[list[str]]:
    """Every page of the page catalogue (tests/browser/catalogue.py) for each demo account,
    after adding what its detail pages show (``seed_activity``)."""
    from tests.browser import catalogue

    catalogue.seed_activity()
    return [
        ["" if account == catalogue.ANONYMOUS else account, page.url]
        for account in catalogue.ACCOUNTS
        for page in catalogue.pages(account)
    ]


def answer(command: dict) -> dict:
    if command["op"] == "pages":
        return {"pages": pages()}
    client = client_for(command["account"])
    if command["op"] == "queries":
        with CaptureQueriesContext(connection) as queries:
            status = client.get(command["url"]).status_code
        return {"status": status, "queries": len(queries)}
    start = time.perf_counter()
    status = client.get(command["url"]).status_code
    return {"status": status, "ms": (time.perf_counter() - start) * 1000}


for line in sys.stdin:
    try:
        reply = answer(json.loads(line))
    except Exception as error:  # reported to the parent, which marks the page failed
        reply = {"error": f"{type(error).__name__}: {error}"}
    REPLIES.write(json.dumps(reply) + "\n")
    REPLIES.flush()
