"""Control characters — NUL, other C0 controls, DEL and C1 controls (Unicode category Cc) —
sent wherever text enters: every query parameter of every page and API, every path
parameter of every route, every string field of every admin API body. As a staff account
and as a requester, the answer is a 4xx, never a 5xx (PostgreSQL cannot store or compare a
NUL: before the fix, list searches, the admin API's names and paths answered 500 there).

Nothing is hand-listed but the values that let a request reach deep (an existing name, a
PEM): the routes come from the URL resolver, the query parameters from the list pages'
query forms and the OpenAPI schema, the body fields from the official client's pydantic
models each admin API view reads its body with (found by asking every view).

Runs on SQLite and on PostgreSQL (CI sets DATABASE_URL): the 500s only show on PostgreSQL.
"""

import json
import re
import types
import typing
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from pydantic import BaseModel, SecretStr

from discovery.models import CampaignPermission, DiscoveryCampaign
from profiles.models import Label
from raportal.control_characters import (
    control_character,
    refusal,
    strings_with_control_characters,
)
from raportal.query_strings import query_form_of
from tests.discovery.helpers import feed_body, self_signed
from tests.factories import UserFactory, api_key_for, make_csr

pytestmark = pytest.mark.django_db

CONTROLS = ("\x00", "\x01", "\x1b", "\x7f", "\x85")  # NUL, SOH, ESC, DEL, NEL (C1)
WHO = ("staff", "requester")


def poisoned(char: str) -> str:
    return f"a{char}b"


# --- the world: something to list, to search and to reach -------------------------------


class Caller:
    """One account, as a browser (session) and as an API client (X-API-ID/X-API-KEY)."""

    def __init__(self, user):
        self.name = user.username
        self.browser = Client()
        self.browser.force_login(user)
        self.api = Client(HTTP_X_API_ID=user.username, HTTP_X_API_KEY=api_key_for(user))
        self.failures: list[str] = []

    def call(self, method: str, url: str, body=None, *, api: bool | None = None, note: str = ""):
        """``method`` on ``url`` (the API client under /api/), in a savepoint rolled back after
        it, so that one case does not change what the next one meets; a 5xx is noted (with
        ``note``: what was poisoned)."""
        url_shown = f"{url} {note}".strip()
        api = url.startswith("/api/") if api is None else api
        client = self.api if api else self.browser
        kwargs = {}
        if method != "get":
            kwargs = {"data": json.dumps(body if body is not None else {})}
            kwargs["content_type"] = "application/json"
        try:
            with transaction.atomic():
                response = getattr(client, method)(url, **kwargs)
                transaction.set_rollback(True)
        except Exception as exc:  # what a page view raised: a 500 for the browser
            self.failures.append(f"{method.upper()} {url_shown} as {self.name} raised {exc!r}")
            return None
        if response.status_code >= 500:
            self.failures.append(
                f"{method.upper()} {url_shown} as {self.name} → {response.status_code}: "
                f"{response.content[:300]!r}"
            )
        return response

    def assert_no_server_error(self):
        shown = "\n  ".join(self.failures[:40])
        assert not self.failures, f"{len(self.failures)} answers were 5xx:\n  {shown}"


@pytest.fixture
def world(profile, requester, approver, team, issue, requester_api):
    certificate = issue("world.example.com")
    requester_api.submit(  # a pending request in the approvers' queue
        {
            "profile": "webra-demo",
            "module": "webra",
            "workflow": "enroll",
            "template": {
                "subject": [{"element": "cn.1", "value": "pending.example.com"}],
                "csr": make_csr()[0],
            },
        }
    )
    Label.objects.get_or_create(name="env")
    campaign = DiscoveryCampaign.objects.create(name="Ansible")
    staff = UserFactory(username="admin", is_staff=True, is_superuser=True)
    CampaignPermission.objects.create(user=staff, campaign=campaign, right="feed")
    return {"certificate": certificate, "staff": staff, "requester": requester}


@pytest.fixture(params=WHO)
def caller(request, world):
    return Caller(world[request.param])


# --- the routes: walked from raportal.urls ----------------------------------------------

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def routes() -> list[tuple[str, URLPattern]]:
    """Every endpoint's route as text (includes flattened) and its pattern."""

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, text)
            else:
                yield text, pattern

    # Signing out would end the session the rest of the calls are made in.
    return [
        (route, p) for route, p in walk(get_resolver().url_patterns, "/") if "logout" not in route
    ]


def reaching_values(world) -> dict[str, str]:
    """A value per converter that gets past the resolver to the view."""
    certificate = world["certificate"]
    return {
        "uuid": certificate["_id"],
        "int": str(world["staff"].pk),
        "slug": "webra-demo",
        "str": "webra-demo",
        "text": "webra-demo",
        "path": "1",
        "certificate_reference": certificate["_id"],
        "certificate_text": certificate["certificate"],
        "": "auth",  # a regex group (the Django admin's app labels)
    }


def url_for(route: str, values: dict[str, str], poison: tuple[str, str] | None = None) -> str:
    """The route with each parameter given its converter's reaching value, and the one
    named in ``poison`` (name, raw text) given that text instead."""

    def value(match: re.Match) -> str:
        name = match["name"] or match["group"]
        if poison and name == poison[0]:
            return quote(poison[1], safe="")
        return quote(values[match["converter"] or ("str" if match["name"] else "")], safe="")

    return PARAMETER.sub(value, route)


def methods_of(route: str) -> tuple[str, ...]:
    return (
        ("get", "post", "put", "patch", "delete") if route.startswith("/api/") else ("get", "post")
    )


@pytest.mark.slow
def test_every_path_parameter_with_a_control_character_answers_4xx(caller, world):
    values = reaching_values(world)
    tried = 0
    for route, _ in routes():
        for match in PARAMETER.finditer(route):
            name = match["name"] or match["group"]
            for char in CONTROLS:
                url = url_for(route, values, poison=(name, poisoned(char)))
                for method in methods_of(route):
                    caller.call(method, url)
                    tried += 1
    assert tried > 200, f"only {tried} calls: the walk found too few routes"
    caller.assert_no_server_error()


# --- query parameters --------------------------------------------------------------------

# What list pages and searches read, besides what their query forms and the schema name: the
# sweep below sends them to every route, whether it reads them or not.
COMMON_QUERY = (
    "q",
    "page",
    "status",
    "workflow",
    "profile",
    "requester",
    "team",
    "age",
    "sort",
    "since",
    "until",
    "actor",
    "action",
    "type",
    "target",
    "module",
    "order",
    "next",
    "format",
)


def query_forms() -> dict[str, type]:
    """The list pages that read their query string with a form: route → form class."""
    return {
        route: form
        for route, pattern in routes()
        if (form := query_form_of(pattern.callback)) is not None
    }


def api_query_parameters(client) -> dict[str, list[str]]:
    """The API's query parameters as its OpenAPI schema lists them: path → names."""
    schema = client.get("/api/schema/?format=json").json()
    found: dict[str, list[str]] = {}
    for path, item in schema["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter["name"] != "format":
                    found.setdefault(path, []).append(parameter["name"])
    return found


def test_the_list_pages_read_their_query_with_a_form():
    forms = query_forms()
    for route in ("/certificates/", "/requests/", "/approvals/", "/manage/accounts/"):
        assert route in forms, f"{route} reads its query string without a form: {forms}"


@pytest.mark.slow
@pytest.mark.parametrize("char", CONTROLS, ids=repr)
def test_every_route_given_control_characters_in_its_query_answers_4xx(caller, world, char):
    """The sweep: every route, every query parameter anything reads, all at once."""
    values = reaching_values(world)
    names = set(COMMON_QUERY)
    for form in query_forms().values():
        names |= set(form.base_fields)
    for parameters in api_query_parameters(caller.api).values():
        names |= set(parameters)
    query = urlencode({name: poisoned(char) for name in sorted(names)})
    for route, _ in routes():
        for method in ("get", "post"):
            caller.call(method, f"{url_for(route, values)}?{query}")
    caller.assert_no_server_error()


@pytest.mark.parametrize("char", CONTROLS, ids=repr)
def test_a_list_page_refuses_control_characters_in_each_query_field_with_a_form_error(
    caller, world, char
):
    values = reaching_values(world)
    for route, form in query_forms().items():
        for field in form.base_fields:
            url = f"{url_for(route, values)}?{urlencode({field: poisoned(char)})}"
            response = caller.call("get", url)
            if response is None or response.status_code in (302, 403, 404):  # not theirs
                continue
            body = response.content.decode()
            assert response.status_code == 400, f"{url}: {response.status_code} {body[:500]}"
            assert "control character" in body, f"{url} shows no error: {body[:2000]}"
    caller.assert_no_server_error()


@pytest.mark.parametrize("char", CONTROLS, ids=repr)
def test_an_api_query_parameter_with_a_control_character_answers_a_400_problem(caller, world, char):
    values = reaching_values(world)
    for path, names in api_query_parameters(caller.api).items():
        for name in names:
            url = f"{re.sub(r'{[^}]+}', values['text'], path)}?{urlencode({name: poisoned(char)})}"
            response = caller.call("get", url)
            if response is None:
                continue
            body = response.content.decode()
            assert response.status_code == 400, f"{url}: {response.status_code} {body[:500]}"
            assert response["Content-Type"] == "application/problem+json", body[:500]
            assert response.json()["error"] == "REQ-002", body[:500]
    caller.assert_no_server_error()


# --- admin API bodies ----------------------------------------------------------------------


PROBES = ({}, {"module": "webra"}, {"module": "est"}, {"module": "scep"})


def body_models(caller_api: Client, world) -> list[tuple[str, str, type[BaseModel]]]:
    """(method, path) → the client's model the view reads its body with, found by calling
    every method of every admin API route (and the discovery feed) with a spy on
    ``validated``, the one reader of admin bodies."""
    import administration.api.base
    import discovery.api

    found: dict[tuple[str, str, type[BaseModel]], bool] = {}
    values = reaching_values(world)

    seen: list[type[BaseModel]] = []

    def spy(model, data, invalid):
        seen.append(model)
        raise invalid("read by the spy")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(administration.api.base, "validated", spy)
        patch.setattr(discovery.api, "validated", spy)
        for route, pattern in routes():
            if not route.startswith("/api/v1/") or not _reads_json(pattern):
                continue
            url = url_for(route, values)
            for method in ("post", "put", "patch", "delete"):
                for probe in PROBES:  # a profile's module says which model reads it
                    with transaction.atomic():
                        getattr(caller_api, method)(url, probe, content_type="application/json")
                        transaction.set_rollback(True)
                    if seen:
                        found[(method, url, seen.pop())] = True
    return list(found)


def _reads_json(pattern: URLPattern) -> bool:
    view = getattr(pattern.callback, "view_class", None)
    return view is not None and view.__module__.startswith(("administration.api", "discovery"))


def _unwrapped(annotation):
    """The annotation without Optional / Annotated."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            arms = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(arms) != 1:
                return arms
            annotation = arms[0]
        else:
            return annotation


def _is_text(annotation) -> bool:
    return annotation is str or annotation is SecretStr


def sample(annotation, depth: int = 0):
    """A plausible value of ``annotation``: the required fields of a model, filled."""
    annotation = _unwrapped(annotation)
    if isinstance(annotation, list):
        annotation = annotation[0]
    origin = typing.get_origin(annotation)
    if _is_text(annotation):
        return "x"
    if annotation is bool:
        return False
    if annotation in (int, float):
        return 1
    if origin is list:
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and depth < 8:
        return {
            (field.alias or name): sample(field.annotation, depth + 1)
            for name, field in annotation.model_fields.items()
            if field.is_required()
        }
    return None


def with_each_string_poisoned(annotation, current, bad: str, depth: int = 0):
    """(where, value): copies of ``current`` (shaped as ``annotation``) with one string —
    or one dictionary key — replaced by ``bad``, for every string the shape holds."""
    annotation = _unwrapped(annotation)
    arms = annotation if isinstance(annotation, list) else [annotation]
    for arm in arms:
        origin = typing.get_origin(arm)
        if _is_text(arm):
            yield "", bad
        elif origin is list:
            (item_type,) = typing.get_args(arm)
            items = current if isinstance(current, list) and current else [sample(item_type)]
            for where, item in with_each_string_poisoned(item_type, items[0], bad, depth):
                yield f"[0]{where}", [item, *items[1:]]
        elif origin is dict:
            value_type = typing.get_args(arm)[1]
            yield "{key}", {bad: sample(value_type)}
            for where, value in with_each_string_poisoned(value_type, sample(value_type), bad):
                yield f"{{}}{where}", {"k": value}
        elif isinstance(arm, type) and issubclass(arm, BaseModel) and depth < 6:
            current = current if isinstance(current, dict) else sample(arm)
            for name, field in arm.model_fields.items():
                key = field.alias or name
                for where, value in with_each_string_poisoned(
                    field.annotation, current.get(key), bad, depth + 1
                ):
                    yield f".{key}{where}", {**current, key: value}


def baseline(model: type[BaseModel], method: str, url: str, world) -> dict:
    """A body the view accepts (or nearly): the model's required fields, and what must be
    meaningful — an existing name to update, the profile's module, a certificate."""
    body = sample(model)
    name = "fresh-name" if method == "post" else url.rstrip("/").rsplit("/", 1)[-1]
    fields = model.model_fields
    aliases = {field.alias or key for key, field in fields.items()}
    known = {"labels": "env", "teams": "demo-team", "profiles": "webra-demo"}
    for kind, existing in known.items():
        if f"/{kind}" in url and method != "post":
            name = existing
    if "name" in aliases:
        body["name"] = name
    if "identifier" in aliases:
        body["identifier"] = "fresh-id" if method == "post" else "requester"
    if "module" in aliases:
        body["module"] = {"WebRAProfile": "webra", "EstProfile": "est"}.get(model.__name__, "scep")
        body["pkiConnector"] = "test-issuing-ca"
    if "type" in aliases and "cryptoType" in aliases:
        body |= {"type": "integrated", "cryptoType": "legacy"}
    if model.__name__ == "CertificateAuthorityRequest":
        body["certificate"] = self_signed("ca.example.com", ca=True)[0]
    if model.__name__ == "DiscoveryFeed":
        body = feed_body(world["certificate"]["certificate"])
    return body


@pytest.mark.slow
def test_every_admin_body_string_with_a_control_character_answers_4xx(world):
    staff = Caller(world["staff"])
    requester = Caller(world["requester"])
    models = body_models(staff.api, world)
    read = {model.__name__ for _, _, model in models}
    assert {"WebRAProfile", "EstProfile", "ScepProfile", "Team", "Label"} <= read, models
    fields = 0
    for method, url, model in models:
        start = baseline(model, method, url, world)
        for number, (where, body) in enumerate(with_each_string_poisoned(model, start, MARK)):
            # NUL into every field, and one of the others in turn: all of them are sent
            # into each kind of body, at a fraction of the calls.
            for char in (CONTROLS[0], CONTROLS[1 + number % (len(CONTROLS) - 1)]):
                bad = json.loads(json.dumps(body).replace(MARK_JSON, json.dumps(char)[1:-1]))
                note = f"{model.__name__}{where} = {char!r}"
                staff.call(method, url, bad, note=note)
                requester.call(method, url, bad, note=note)
            fields += 1
    assert fields > 300, f"only {fields} string fields found in {len(models)} bodies"
    staff.assert_no_server_error()
    requester.assert_no_server_error()


MARK = "\u2063"  # stands for the control character sent (INVISIBLE SEPARATOR, in no body)
MARK_JSON = json.dumps(MARK)[1:-1]


@pytest.mark.parametrize(
    "path, body, code",
    [
        (
            "/api/v1/security/teams",
            {"name": "web", "displayName": [{"lang": "en", "value": "a\x00b"}]},
            "TEAM-002",
        ),
        (
            "/api/v1/certificate/labels",
            {"name": "env2", "displayName": [{"lang": "en", "value": "\x1b[31m"}]},
            "CERT-LABEL-002",
        ),
        ("/api/v1/security/identity/locals", {"identifier": "a\x00b", "name": "A"}, "LOCAL-ID-002"),
    ],
    ids=["team display name", "label display name", "local identity"],
)
def test_an_admin_body_with_a_control_character_is_refused_with_its_kinds_code(
    world, path, body, code
):
    response = Caller(world["staff"]).call("post", path, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json", response.content
    problem = response.json()
    assert problem["error"] == code and "control character (U+00" in problem["detail"], problem


def test_a_multiline_description_keeps_its_line_breaks(world):
    body = {"name": "env2", "description": [{"lang": "en", "value": "two\nlines"}]}
    response = Caller(world["staff"]).call("post", "/api/v1/certificate/labels", body)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    "url", ["/api/v1/cas/a%00b", "/api/v1/security/passwordpolicies/a%00b/generate"]
)
def test_a_path_parameter_with_a_nul_answers_a_400_problem(world, url):
    response = Caller(world["staff"]).call("get", url)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json", response.content
    assert response.json()["error"] == "REQ-002", response.content


def test_a_search_with_a_nul_shows_the_list_page_again_with_the_error_on_the_field(world):
    response = Caller(world["requester"]).call("get", "/certificates/?q=a%00b")
    page = response.content.decode()
    assert response.status_code == 400, page
    assert 'href="#f-q"' in page and "control character (U+0000)" in page, page
    assert "world.example.com" not in page, page  # nothing listed: nothing searched


def test_team_members_given_a_control_character_answer_4xx(world):
    for who in ("staff", "requester"):
        caller = Caller(world[who])
        for char in CONTROLS:
            for method in ("post", "delete"):
                response = caller.call(
                    method, "/api/v1/security/teams/demo-team/members", [poisoned(char)]
                )
                assert response is None or response.status_code in (400, 403), response.content[
                    :500
                ]
        caller.assert_no_server_error()


# --- the shared check itself ---------------------------------------------------------------


@pytest.mark.parametrize("code", [*range(0x20), 0x7F, *range(0x80, 0xA0)])
def test_every_control_character_is_refused_and_line_breaks_only_where_text_is_multiline(code):
    char = chr(code)
    assert control_character(f"a{char}b") == char
    assert control_character(f"a{char}b", multiline=True) == (None if char in "\t\r\n" else char)


def test_text_without_control_characters_passes():
    for text in ("plain", "Zoë s café — 東京", "a\u200bb"):
        assert control_character(text) is None
    assert refusal("Zoë") is None and "U+0007" in refusal("\a")


def test_a_json_document_names_where_a_control_character_is():
    found = list(
        strings_with_control_characters(
            {
                "name": "ok",
                "displayName": [{"lang": "en", "value": "a\x00b"}],
                "description": [{"value": "two\nlines"}],
                "caCert": "-----\r\n",
                "unknown\r\nX-Injected: 1": 2,  # a field name: ignored as unknown
                "csrDataMapping": {"x\x1b": "cn"},  # a mapping's keys: data
            },
            frozenset({"description", "caCert"}),
        )
    )
    assert found == [
        "displayName[0].value: holds a control character (U+0000), which is not allowed here",
        "csrDataMapping: a key holds a control character (U+001B), which is not allowed here",
    ]
