"""Every administration write goes through one service (administration/services/): the
page, the admin API and import_config reach the same function, and import_config calls no
admin view in-process."""

import ast
import inspect

import pytest

from administration import config_io
from administration.services import labels, principals, teams
from tests.factories import UserFactory


class Spy:
    """Wraps a service function, counting the calls that reach it."""

    def __init__(self, monkeypatch, module, name: str):
        self.calls = 0
        real = getattr(module, name)

        def spy(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)


def config(**sections) -> dict:
    return {"format": config_io.FORMAT, **sections}


# (service module, function, {entry point: how to drive it})
WRITES = {
    "label": (
        labels,
        "create_label",
        {
            "page": lambda c: c["page"].post("/manage/labels/new/", {"name": "env"}),
            "api": lambda c: c["api"].post(
                "/api/v1/certificate/labels", {"name": "env"}, format="json"
            ),
            "import": lambda c: config_io.import_config(config(labels=[{"name": "env"}])),
        },
    ),
    "team": (
        teams,
        "create_team",
        {
            "page": lambda c: c["page"].post("/manage/teams/new/", {"name": "web"}),
            "api": lambda c: c["api"].post(
                "/api/v1/security/teams", {"name": "web"}, format="json"
            ),
            "import": lambda c: config_io.import_config(config(teams=[{"name": "web"}])),
        },
    ),
    "principal info": (
        principals,
        "create_principal_info",
        {
            "api": lambda c: c["api"].post(
                "/api/v1/security/principalinfos",
                {"identifier": "newcomer", "enabled": True},
                format="json",
            ),
            "import": lambda c: config_io.import_config(
                config(principalInfos=[{"identifier": "newcomer", "enabled": True}])
            ),
        },
    ),
}


@pytest.mark.parametrize(
    ("write", "entry"),
    [(write, entry) for write, (_, _, entries) in WRITES.items() for entry in entries],
)
def test_page_api_and_import_reach_the_same_service(
    write, entry, monkeypatch, client, staff, staff_api
):
    module, function, entries = WRITES[write]
    spy = Spy(monkeypatch, module, function)
    client.force_login(staff)
    response = entries[entry]({"page": client, "api": staff_api})
    status = getattr(response, "status_code", None)
    assert status in (None, 201, 302), getattr(response, "content", response)
    assert spy.calls == 1, f"the {entry} did not call {module.__name__}.{function}"


def test_the_import_writes_members_through_the_teams_service(monkeypatch, db):
    UserFactory(username="alice")
    spy = Spy(monkeypatch, teams, "set_members")
    config_io.import_config(config(teams=[{"name": "web", "members": ["alice"]}]))
    assert spy.calls == 1


def test_config_io_calls_no_admin_view_in_process():
    """No request factory, no URL resolving, no view class: only services and readers."""
    tree = ast.parse(inspect.getsource(config_io))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    assert not [name for name in imported if name.startswith("rest_framework")], imported
    assert "django.urls.resolve" not in imported, imported
    views = [
        name
        for name in imported
        if name.startswith("administration.api.")
        and inspect.isclass(obj := getattr(config_io, name.rsplit(".", 1)[1], None))
        and hasattr(obj, "as_view")
    ]
    assert views == [], f"config_io imports admin API views: {views}"
    source = inspect.getsource(config_io)
    for needle in ("APIRequestFactory", "force_authenticate", "resolve("):
        assert needle not in source, needle
