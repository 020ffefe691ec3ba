"""``/api/v1/security/identity/locals`` through the official client: local accounts and their
passwords, and the password accepted as the account's X-API-KEY (as in Horizon)."""

import json
import pickle

import horizon
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import caches
from horizon.exceptions import ApiException
from horizon.models.local_identity import LocalIdentity
from horizon.models.local_identity_on_add import LocalIdentityOnAdd
from horizon.models.local_identity_response import LocalIdentityResponse
from horizon.models.reset_password_request import ResetPasswordRequest
from horizon.models.set_password_request import SetPasswordRequest
from rest_framework.test import APIClient

from raportal.models import ApiCredential, AuditEvent
from tests.administration.api_calls import IGNORED, PROBLEM, SELF, code_of, problem, send, whoami
from tests.factories import UserFactory, api_key_for

LOCALS = "/api/v1/security/identity/locals"
PASSWORD = "Kestrel-Orbit-4417"
NEW_PASSWORD = "Quartz-Meadow-9023"
ACCOUNT_LIMIT = 3


@pytest.fixture
def small_limits(settings):
    settings.RAPORTAL_AUTH_FAILURES_PER_ACCOUNT_AND_IP = ACCOUNT_LIMIT
    settings.RAPORTAL_AUTH_FAILURES_PER_IP = 50
    settings.RAPORTAL_AUTH_FAILURE_WINDOW = 300
    return settings


@pytest.fixture
def verifications(monkeypatch):
    """Every run of the password hasher (the tests' hasher is MD5: see tests/conftest.py)."""
    runs = []
    verify, encode = MD5PasswordHasher.verify, MD5PasswordHasher.encode

    def counted_verify(hasher, password, encoded):
        runs.append("verify")
        return verify(hasher, password, encoded)

    def counted_encode(hasher, password, salt):
        runs.append("encode")
        return encode(hasher, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "verify", counted_verify)
    monkeypatch.setattr(MD5PasswordHasher, "encode", counted_encode)
    return runs


def local_account(username: str = "alice", password: str = PASSWORD, **fields):
    user = UserFactory(username=username, **fields)
    user.set_password(password)
    user.save()
    return user


def add(api, identifier="alice", password=PASSWORD, **fields):
    return api.security_identity_local_add(
        LocalIdentityOnAdd(identifier=identifier, password=password, **fields)
    )


# --- the endpoints ---------------------------------------------------------------------


def test_a_staff_client_adds_gets_lists_updates_and_deletes_a_local_identity(locals_api):
    added = add(locals_api, email="alice@example.com", name="Alice van Dijk")
    assert isinstance(added, LocalIdentityResponse)
    user = get_user_model().objects.get(username="alice")
    assert added.id == str(user.pk) and added.identifier == "alice"
    assert (user.email, user.first_name, user.last_name) == (
        "alice@example.com",
        "Alice",
        "van Dijk",
    )
    assert user.check_password(PASSWORD)
    assert added.name == "Alice van Dijk"

    assert locals_api.security_identity_local_get("alice").email == "alice@example.com"
    assert [i.identifier for i in locals_api.security_identity_local_list()] == ["admin", "alice"]

    updated = locals_api.security_identity_local_update(
        LocalIdentity(identifier="alice", name="Alice Smith")
    )
    assert updated.name == "Alice Smith"
    assert updated.email == "alice@example.com", "PUT keeps what it does not carry"

    assert locals_api.security_identity_local_delete("alice") is None
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_get("alice")
    assert error.value.status == 404, error.value.body
    assert "alice" not in [i.identifier for i in locals_api.security_identity_local_list()]


def test_no_answer_and_no_audit_event_holds_the_password_or_its_hash(locals_api, staff):
    answers = [
        locals_api.security_identity_local_add_with_http_info(
            LocalIdentityOnAdd(identifier="alice", password=PASSWORD, email="a@example.com")
        ),
        locals_api.security_identity_local_get_with_http_info("alice"),
        locals_api.security_identity_local_list_with_http_info(),
        locals_api.security_identity_local_update_with_http_info(
            LocalIdentity(identifier="alice", name="Alice")
        ),
        locals_api.security_identity_local_password_set_with_http_info(
            SetPasswordRequest(identifier="alice", password=NEW_PASSWORD)
        ),
    ]
    stored_hash = get_user_model().objects.get(username="alice").password
    audit = json.dumps(list(AuditEvent.objects.values("detail")))
    for answer in answers:
        text = answer.raw_data.decode()
        for secret in (PASSWORD, NEW_PASSWORD, stored_hash, staff.password):
            assert secret not in text, text
    for secret in (PASSWORD, NEW_PASSWORD, stored_hash):
        assert secret not in audit, audit


def test_a_local_identity_added_without_a_password_signs_in_only_once_one_is_set(locals_api):
    # Horizon's client documents it: no password until one is set.
    added = locals_api.security_identity_local_add(LocalIdentityOnAdd(identifier="alice"))
    assert added.identifier == "alice", added
    assert locals_api.security_identity_local_get("alice").identifier == "alice"
    assert whoami("alice", "").status_code == 401
    assert not APIClient().login(username="alice", password="")
    locals_api.security_identity_local_password_set(
        SetPasswordRequest(identifier="alice", password=PASSWORD)
    )
    response = whoami("alice", PASSWORD)
    assert response.status_code == 200, response.content


def test_a_password_holding_the_account_name_is_accepted_when_it_follows_the_policy(
    locals_api,
):
    # Horizon applies its password policy (length, character classes) to local accounts,
    # not a likeness to the account's name.
    add(locals_api, identifier="ansible-requester", password="Ansible-Requester-42!")
    response = whoami("ansible-requester", "Ansible-Requester-42!")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt-x", "at least 12 characters"),
        ("password123", "too common"),
        ("84719265301847", "entirely numeric"),
        ("alice-example-only", "at least 1 upper-case letter"),
        ("Alice-Example-Words", "password policy Horizon-Default"),
    ],
)
def test_weak_passwords_are_refused_with_the_validators_words_never_the_password(
    locals_api, password, message
):
    with pytest.raises(ApiException) as error:
        add(locals_api, password=password, email="alice@example.com")
    assert error.value.status == 400, error.value.body
    assert message in problem(error.value)["detail"], error.value.body
    assert password not in error.value.body, error.value.body
    assert not get_user_model().objects.filter(username="alice").exists()


def test_adding_a_local_identity_that_exists_answers_local_id_004(locals_api):
    add(locals_api)
    with pytest.raises(ApiException) as error:
        add(locals_api, password=NEW_PASSWORD)
    assert code_of(error.value) == (400, "LOCAL-ID-004"), error.value.body
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_an_account_without_a_password_gets_a_local_identity_added(locals_api, db):
    user = UserFactory(username="alice", email="old@example.com")
    user.set_unusable_password()
    user.save()
    with pytest.raises(ApiException):
        locals_api.security_identity_local_get("alice")
    added = add(locals_api, name="Alice")
    assert added.id == str(user.pk) and added.email == "old@example.com"
    assert whoami("alice", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"identifier": "has space"}, "identifier"),
        ({"identifier": ""}, "identifier"),
        ({"identifier": "x" * 151}, "identifier"),
        ({"identifier": "alice", "email": "not an address"}, "email"),
        ({"identifier": "alice", "name": "A" * 151}, "name"),
    ],
    ids=["space", "empty", "long", "email", "name"],
)
def test_bad_identifiers_emails_and_names_answer_400(locals_api, fields, field):
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_add(LocalIdentityOnAdd(password=PASSWORD, **fields))
    assert error.value.status == 400, error.value.body
    assert problem(error.value)["detail"].startswith(f"{field}:"), error.value.body


@pytest.mark.parametrize("call", ["get", "delete", "update", "password_set", "password_reset"])
def test_an_unknown_local_identity_answers_404(locals_api, call):
    with pytest.raises(ApiException) as error:
        if call == "update":
            locals_api.security_identity_local_update(LocalIdentity(identifier="ghost"))
        elif call == "password_set":
            locals_api.security_identity_local_password_set(
                SetPasswordRequest(identifier="ghost", password=NEW_PASSWORD)
            )
        elif call == "password_reset":
            locals_api.security_identity_local_password_reset(
                ResetPasswordRequest(identifier="ghost", uuid="x", password=NEW_PASSWORD)
            )
        else:
            getattr(locals_api, f"security_identity_local_{call}")("ghost")
    assert error.value.status == 404, error.value.body


def test_an_administrator_cannot_delete_their_own_local_identity(locals_api, staff):
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_delete("admin")
    assert code_of(error.value) == (403, "SEC-PERM-008"), error.value.body
    staff.refresh_from_db()
    assert staff.has_usable_password()


def test_deleting_a_local_identity_ends_its_password_but_keeps_the_account(locals_api, db):
    user = local_account()
    assert whoami("alice", PASSWORD).status_code == 200
    locals_api.security_identity_local_delete("alice")
    user.refresh_from_db()
    assert user.is_active and not user.has_usable_password()
    response = whoami("alice", PASSWORD)
    assert response.status_code == 401, response.content


def test_asking_for_a_reset_email_answers_a_clear_problem(locals_api, db):
    local_account()
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_password_reset_request("alice")
    assert error.value.status == 400, error.value.body
    assert "not available" in problem(error.value)["detail"], error.value.body


# --- passwords -------------------------------------------------------------------------


def test_an_administrator_sets_a_password_and_the_old_one_stops_working(locals_api, db):
    local_account()
    locals_api.security_identity_local_password_set(
        SetPasswordRequest(identifier="alice", password=NEW_PASSWORD)
    )
    assert whoami("alice", PASSWORD).status_code == 401
    assert whoami("alice", NEW_PASSWORD).status_code == 200


def test_the_password_post_sets_a_password_and_reports_the_reset_uuid_as_ignored(locals_api, db):
    local_account()
    response = locals_api.security_identity_local_password_reset_with_http_info(
        ResetPasswordRequest(identifier="alice", uuid="no-mail-flow", password=NEW_PASSWORD)
    )
    assert response.status_code == 204, response.raw_data
    assert response.headers[IGNORED] == "uuid", response.headers
    assert whoami("alice", NEW_PASSWORD).status_code == 200


def test_a_password_set_by_an_administrator_goes_through_the_validators(locals_api, db):
    local_account()
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_password_set(
            SetPasswordRequest(identifier="alice", password="short")
        )
    assert error.value.status == 400, error.value.body
    assert "at least 12 characters" in problem(error.value)["detail"], error.value.body
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_an_account_changes_its_own_password_signed_in_with_it(client_for, db):
    user = local_account()  # not staff
    own = horizon.SecurityIdentityLocalApi(client_for(user, key=PASSWORD))
    own.security_identity_local_password_set(
        SetPasswordRequest(password=NEW_PASSWORD, previousPassword=PASSWORD)
    )
    response = whoami("alice", PASSWORD)
    assert response.status_code == 401, response.content
    assert whoami("alice", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("previous", "message"),
    [(None, "previousPassword: required"), ("Wrong-Guess-1234", "not the current password")],
)
def test_changing_your_own_password_needs_the_previous_one(client_for, db, previous, message):
    user = local_account()
    own = horizon.SecurityIdentityLocalApi(client_for(user))  # its API key
    with pytest.raises(ApiException) as error:
        own.security_identity_local_password_set(
            SetPasswordRequest(identifier="alice", password=NEW_PASSWORD, previousPassword=previous)
        )
    assert error.value.status == 400 and message in problem(error.value)["detail"], error.value.body
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_wrong_previous_passwords_are_throttled(db, small_limits, api_client_for):
    user = local_account()
    client = api_client_for(user)
    body = {"password": NEW_PASSWORD, "previousPassword": "Wrong-Guess-1234"}
    for _ in range(ACCOUNT_LIMIT):
        assert client.patch(LOCALS, body, format="json").status_code == 400
    response = client.patch(LOCALS, {**body, "previousPassword": PASSWORD}, format="json")
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_an_account_that_is_not_staff_cannot_set_another_accounts_password(db, api_client_for):
    local_account("bob")
    user = local_account()
    response = api_client_for(user).patch(
        LOCALS, {"identifier": "bob", "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 403, response.content
    assert get_user_model().objects.get(username="bob").check_password(PASSWORD)


def test_a_browser_session_stays_signed_in_after_changing_its_password(db):
    user = local_account()
    browser = APIClient()
    browser.force_login(user)
    response = browser.patch(
        LOCALS, {"password": NEW_PASSWORD, "previousPassword": PASSWORD}, format="json"
    )
    assert response.status_code == 204, response.content
    assert browser.get(SELF).status_code == 200


# --- the password as X-API-KEY ---------------------------------------------------------


def test_a_local_account_made_through_the_client_calls_the_api_with_its_password(
    locals_api, client_for
):
    add(locals_api, name="Alice")
    user = get_user_model().objects.get(username="alice")
    principal = horizon.SecurityPrincipalApi(client_for(user, key=PASSWORD))
    me = principal.security_principal_self()
    assert me.identity.identifier == "alice"


def test_a_second_call_does_not_run_the_password_hasher(db, verifications):
    local_account()
    verifications.clear()
    assert whoami("alice", PASSWORD).status_code == 200
    first = list(verifications)
    assert first.count("verify") == 1, first
    for _ in range(3):
        assert whoami("alice", PASSWORD).status_code == 200
    assert verifications == first, "a remembered verification needs no password hash"


def test_a_cache_time_of_zero_verifies_the_password_on_every_call(db, verifications, settings):
    settings.RAPORTAL_PASSWORD_AUTH_CACHE_SECONDS = 0
    local_account()
    verifications.clear()
    for _ in range(2):
        assert whoami("alice", PASSWORD).status_code == 200
    assert verifications.count("verify") == 2, verifications


def test_the_cache_holds_an_hmac_never_the_password_nor_the_username(db):
    local_account()
    assert whoami("alice", PASSWORD).status_code == 200
    cache = caches["default"]
    stored = pickle.dumps(dict(cache._cache)) + json.dumps(list(cache._cache)).encode()
    assert PASSWORD.encode() not in stored and b"alice" not in stored
    assert any(":raportal:pwauth:" in key for key in cache._cache), list(cache._cache)


def test_a_changed_password_is_refused_even_though_the_old_one_was_remembered(db):
    user = local_account()
    assert whoami("alice", PASSWORD).status_code == 200  # remembered
    user.set_password(NEW_PASSWORD)
    user.save()
    response = whoami("alice", PASSWORD)
    assert response.status_code == 401, response.content
    assert whoami("alice", NEW_PASSWORD).status_code == 200


def test_wrong_passwords_are_throttled_like_wrong_keys(db, small_limits):
    local_account()
    for _ in range(ACCOUNT_LIMIT):
        response = whoami("alice", "Wrong-Guess-1234")
        assert response.status_code == 401, response.content
    response = whoami("alice", PASSWORD)  # right, but blocked from this address now
    assert response.status_code == 429, response.content
    assert response.json()["error"] == "SEC-AUTH-002" and int(response["Retry-After"]) > 0


def test_an_unknown_identifier_costs_a_password_hash_too(db, verifications):
    response = whoami("nobody", PASSWORD)
    assert response.status_code == 401, response.content
    assert verifications == ["encode"]


@pytest.mark.parametrize("state", ["inactive", "unusable-password"])
def test_inactive_accounts_and_accounts_without_a_usable_password_are_refused(db, state):
    user = local_account()
    assert whoami("alice", PASSWORD).status_code == 200  # remembered
    if state == "inactive":
        user.is_active = False
    else:
        user.set_unusable_password()
    user.save()
    response = whoami("alice", PASSWORD)
    assert response.status_code == 401 and response.json()["error"] == "SEC-AUTH-002", (
        response.content
    )


def test_an_api_credential_with_that_id_takes_precedence_over_the_password(db):
    user = local_account()
    key = api_key_for(user)  # X-API-ID "alice"
    assert whoami("alice", key).status_code == 200
    assert whoami("alice", PASSWORD).status_code == 401
    ApiCredential.objects.all().delete()
    assert whoami("alice", PASSWORD).status_code == 200


# --- who may call what -----------------------------------------------------------------


ENDPOINTS = [
    ("get", LOCALS),
    ("post", LOCALS),
    ("put", LOCALS),
    ("get", f"{LOCALS}/alice"),
    ("delete", f"{LOCALS}/alice"),
    ("post", f"{LOCALS}/password"),
    ("get", f"{LOCALS}/password/alice"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_accounts_that_are_not_staff_get_403_on_every_endpoint_but_their_own_password(
    db, api_client_for, method, path
):
    local_account()
    user = UserFactory(username="someone")
    body = {"identifier": "alice", "password": NEW_PASSWORD, "uuid": "x"}
    response = send(api_client_for(user), method, path, body)
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "SEC-PERM-001", response.content
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize(("method", "path"), [*ENDPOINTS, ("patch", LOCALS)])
def test_anonymous_callers_get_401_on_every_endpoint(db, method, path):
    response = send(APIClient(), method, path, {"identifier": "alice", "password": "x"})
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "SEC-AUTH-009", response.content


@pytest.mark.parametrize(
    "raw",
    ["not json", "[]", "{}", '{"identifier": 3, "password": "x"}', "null"],
    ids=["not-json", "array", "empty", "identifier-not-string", "null"],
)
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_malformed_bodies_answer_a_400_problem(staff_api, raw, method):
    response = getattr(staff_api, method)(LOCALS, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    assert response.json()["error"] == "LOCAL-ID-002", response.content


@pytest.mark.parametrize("raw", ["not json", "{}", '{"password": "Quartz-Meadow-9023"}'])
def test_a_malformed_password_post_answers_a_400_problem(staff_api, raw):
    response = staff_api.post(f"{LOCALS}/password", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "LOCAL-ID-002", response.content


def test_a_staff_account_cannot_take_over_a_superuser_through_the_api(locals_api, staff):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    root.set_unusable_password()  # an API-key-only superuser: POST would give it a password
    root.save()
    with pytest.raises(ApiException) as error:
        add(locals_api, "root", password=NEW_PASSWORD)
    assert code_of(error.value) == (403, "SEC-PERM-001"), error.value.body

    root.set_password(PASSWORD)
    root.save()
    for attempt in [
        lambda: locals_api.security_identity_local_password_reset(
            ResetPasswordRequest(identifier="root", uuid="x", password=NEW_PASSWORD)
        ),
        lambda: locals_api.security_identity_local_password_set(
            SetPasswordRequest(identifier="root", password=NEW_PASSWORD)
        ),
        lambda: locals_api.security_identity_local_update(
            LocalIdentity(identifier="root", email="evil@example.com")
        ),
        lambda: locals_api.security_identity_local_delete("root"),
    ]:
        with pytest.raises(ApiException) as error:
            attempt()
        assert code_of(error.value) == (403, "SEC-PERM-001"), error.value.body
    root.refresh_from_db()
    assert root.check_password(PASSWORD) and root.email != "evil@example.com"


def test_an_administrator_changes_their_own_password_only_with_the_previous_one(locals_api, staff):
    staff.set_password(PASSWORD)
    staff.save()
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_password_reset(
            ResetPasswordRequest(identifier="admin", uuid="x", password=NEW_PASSWORD)
        )
    assert code_of(error.value) == (400, "LOCAL-ID-002"), error.value.body
    assert "previousPassword" in problem(error.value)["detail"], error.value.body
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_web_sign_ins_and_api_password_guesses_share_one_budget_per_account(
    db, small_limits, client
):
    local_account()
    half = ACCOUNT_LIMIT // 2
    for _ in range(half):
        client.post("/login/", {"username": "alice", "password": "Wrong-Guess-1234"})
    for _ in range(ACCOUNT_LIMIT - half):
        assert whoami("alice", "Wrong-Guess-1234").status_code == 401
    response = whoami("alice", PASSWORD)  # right, but the account's guesses are spent
    assert response.status_code == 429, response.content


def test_a_relaxed_policy_does_not_relax_sign_in_passwords_below_twelve_characters(locals_api, db):
    # The policy may be the PKCS#12 one, relaxed for a legacy device; accounts stay guarded.
    from profiles.models import PasswordPolicy

    PasswordPolicy.objects.update_or_create(
        name="Horizon-Default", defaults={"min_length": 4, "min_upper": 0, "min_digits": 0}
    )
    local_account()
    with pytest.raises(ApiException) as error:
        locals_api.security_identity_local_password_set(
            SetPasswordRequest(identifier="alice", password="tiny-pw")
        )
    assert "at least 12 characters" in problem(error.value)["detail"], error.value.body


def test_a_local_password_policy_that_does_not_exist_is_reported_by_the_checks(db, settings):
    from profiles.password_validation import check_local_password_policy

    settings.RAPORTAL_LOCAL_PASSWORD_POLICY = "no-such-policy"
    errors = check_local_password_policy()
    assert [error.id for error in errors] == ["raportal.E101"], errors
    settings.RAPORTAL_LOCAL_PASSWORD_POLICY = "Horizon-Default"
    assert check_local_password_policy() == []
