"""export_config / import_config cost the same queries however large the configuration
(issue 18): an unchanged object of the file is compared with what was read for its whole
section, not looked up on its own with its rule tables, grants and teams."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from administration.config_io import export_config, import_config
from profiles.models import Team
from tests.administration.test_config_as_code import starting_config


def with_copies(config: dict, copies: int) -> dict:
    """``config`` with ``copies`` more of each of its labels, accounts, teams, profiles,
    principal infos and team grants (named "<name>-<n>", naming each other's copies)."""
    config = copy.deepcopy(config)
    base = copy.deepcopy(config)
    for n in range(1, copies + 1):

        def named(name: str, n: int = n) -> str:
            return f"{name}-{n}"

        for label in base["labels"]:
            config["labels"].append(label | {"name": named(label["name"])})
        for identity in base["localIdentities"]:
            config["localIdentities"].append(
                identity | {"identifier": named(identity["identifier"])}
            )
        for team in base["teams"]:
            config["teams"].append(
                team
                | {
                    "name": named(team["name"]),
                    "managers": [named(m) for m in team.get("managers", [])],
                    "members": [named(m) for m in team.get("members", [])],
                }
            )
        for profile in base["profiles"]:
            config["profiles"].append(profile | {"name": named(profile["name"])})
        for principal in base["principalInfos"]:
            config["principalInfos"].append(
                principal
                | {
                    "identifier": named(principal["identifier"]),
                    "teams": [named(t) for t in principal["teams"]],
                    "permissions": [
                        {
                            **p,
                            "filter": p["filter"].replace(
                                "provisioned-tls", named("provisioned-tls")
                            ),
                        }
                        for p in principal["permissions"]
                    ],
                }
            )
        for grant in base["teamGrants"]:
            config["teamGrants"].append(
                grant | {"team": named(grant["team"]), "profile": named(grant["profile"])}
            )
    return config


def queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def export_and_reimport_queries() -> tuple[int, int]:
    exported = export_config()
    done: list[str] = []
    reimport = queries(lambda: done.extend(import_config(exported)))
    assert all(line.endswith(": unchanged") for line in done), done
    return queries(export_config), reimport


@pytest.mark.django_db(transaction=True)
def test_export_and_an_unchanged_reimport_cost_as_many_queries_for_many_objects_as_for_one():
    config = starting_config()
    import_config(config)
    small = export_and_reimport_queries()

    import_config(with_copies(config, 4))  # five of each: profiles, accounts, teams…
    assert len(export_config()["profiles"]) == 5
    large = export_and_reimport_queries()

    # One query (and one per prefetched relation) per section, whatever its size: no query
    # per profile, account, team or grant.
    assert large == small, f"export, re-import: {small} queries for one of each, {large} for five"


@pytest.mark.django_db(transaction=True)
def test_a_name_listed_twice_is_compared_with_what_the_import_wrote_for_it_first():
    config = {
        "format": "raportal-config/1",
        "labels": [
            {"name": "env", "displayName": [{"lang": "en", "value": "Environment"}]},
            {"name": "env", "displayName": [{"lang": "en", "value": "Stage"}]},
            {"name": "env", "displayName": [{"lang": "en", "value": "Stage"}]},
        ],
        "localIdentities": [{"identifier": "alice"}, {"identifier": "alice"}],
        "teams": [{"name": "web", "members": []}, {"name": "web", "members": ["alice"]}],
    }
    assert import_config(config) == [
        "label env: created",
        "label env: updated",
        "label env: unchanged",
        "local identity alice: created (no password yet)",
        "local identity alice: unchanged",
        "team web: created",
        "team web: updated",
    ]
    (label,) = export_config()["labels"]
    assert label["displayName"] == [{"lang": "en", "value": "Stage"}], label
    assert [u.username for u in Team.objects.get(name="web").members.all()] == ["alice"]


@pytest.mark.django_db(transaction=True)
def test_a_team_whose_members_or_grants_alone_changed_is_updated():
    config = starting_config()
    import_config(config)
    changed = copy.deepcopy(config)
    changed["teams"][1]["members"] = ["bob"]
    changed["teamGrants"][0]["level"] = "perform"
    done = import_config(changed)
    assert "team ops-team: updated" in done, done
    assert "grants of team ops-team: updated" in done, done
    assert [u.username for u in Team.objects.get(name="ops-team").members.all()] == ["bob"]
    assert import_config(changed)[-1] == "grants of team ops-team: unchanged"
