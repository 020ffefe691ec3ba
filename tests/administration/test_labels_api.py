"""``/api/v1/certificate/labels`` through the official client: the label catalogue, for
staff only."""

import pytest
from horizon.exceptions import ApiException
from horizon.models.label import Label as LabelBody
from horizon.models.label_response import LabelResponse
from rest_framework.test import APIClient

from profiles.models import Label
from tests.administration.api_calls import PROBLEM, code_of, problem
from tests.factories import ProfileFactory, UserFactory

LABELS = "/api/v1/certificate/labels"


def body(name: str, display: str | None = None, description: str | None = None) -> LabelBody:
    return LabelBody.from_dict(
        {
            "name": name,
            "displayName": [{"lang": "en", "value": display}] if display else None,
            "description": [{"lang": "en", "value": description}] if description else None,
        }
    )


def test_a_staff_client_adds_gets_lists_updates_and_deletes_a_label(labels_api):
    added = labels_api.label_add(body("env", "Environment", "Where it runs"))
    assert isinstance(added, LabelResponse)
    stored = Label.objects.get(name="env")
    assert added.id == str(stored.pk)
    assert (stored.display_name, stored.description) == ("Environment", "Where it runs")
    assert added.display_name[0].value == "Environment" and added.display_name[0].lang == "en"

    assert labels_api.label_get("env").description[0].value == "Where it runs"
    assert [label.name for label in labels_api.label_list()] == ["env"]

    updated = labels_api.label_update(body("env", "Env"))
    assert updated.display_name[0].value == "Env"
    assert updated.description is None, "PUT replaces the label: a left-out field is cleared"
    assert Label.objects.get(name="env").description == ""

    assert labels_api.label_delete("env") is None
    assert not Label.objects.filter(name="env").exists()


def test_an_empty_catalogue_answers_204_which_the_client_reads_as_nothing(labels_api):
    response = labels_api.label_list_with_http_info()
    assert response.status_code == 204 and not response.data


def test_adding_a_label_that_exists_answers_cert_label_004(labels_api):
    labels_api.label_add(body("env"))
    with pytest.raises(ApiException) as error:
        labels_api.label_add(body("env"))
    assert code_of(error.value) == (400, "CERT-LABEL-004"), error.value.body
    assert "'env' already exists" in problem(error.value)["detail"], error.value.body


@pytest.mark.parametrize("call", ["get", "delete", "update"])
def test_an_unknown_label_answers_404(labels_api, call):
    with pytest.raises(ApiException) as error:
        if call == "update":
            labels_api.label_update(body("missing"))
        else:
            getattr(labels_api, f"label_{call}")("missing")
    assert error.value.status == 404, error.value.body
    assert problem(error.value)["error"] == "CERT-LABEL-003", error.value.body


def test_deleting_a_label_a_profile_uses_is_refused_naming_the_profile(labels_api, pki):
    ProfileFactory(name="tls", ca=pki["issuing"])  # its label rule uses "env"
    with pytest.raises(ApiException) as error:
        labels_api.label_delete("env")
    assert code_of(error.value) == (403, "CERT-LABEL-005"), error.value.body
    detail = problem(error.value)["detail"]
    assert "'env'" in detail and "tls" in detail, error.value.body
    assert Label.objects.filter(name="env").exists()


def test_a_name_that_is_not_a_slug_answers_400(labels_api):
    with pytest.raises(ApiException) as error:
        labels_api.label_add(body("not a slug!"))
    assert error.value.status == 400, error.value.body
    assert problem(error.value)["error"] == "CERT-LABEL-002", error.value.body


def test_a_display_name_longer_than_128_characters_answers_400(labels_api):
    with pytest.raises(ApiException) as error:
        labels_api.label_add(body("env", "E" * 129))
    assert error.value.status == 400, error.value.body
    assert "displayName" in problem(error.value)["detail"], error.value.body


@pytest.mark.parametrize(
    "raw",
    ["not json", "[]", "{}", '{"name": 3}', '{"name": "x", "displayName": "text"}', "null"],
    ids=["not-json", "array", "no-name", "name-not-string", "display-not-list", "null"],
)
@pytest.mark.parametrize("method", ["post", "put"])
def test_malformed_bodies_answer_a_400_problem(staff_api, raw, method):
    response = getattr(staff_api, method)(LABELS, raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    assert response.json()["error"] == "CERT-LABEL-002", response.content


ENDPOINTS = [
    ("get", LABELS),
    ("post", LABELS),
    ("put", LABELS),
    ("get", f"{LABELS}/env"),
    ("delete", f"{LABELS}/env"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_accounts_that_are_not_staff_get_403_on_every_endpoint(db, api_client_for, method, path):
    Label.objects.create(name="env")
    user = UserFactory(username="someone")
    response = getattr(api_client_for(user), method)(path, {"name": "env"}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "SEC-PERM-001", response.content
    assert Label.objects.filter(name="env").exists()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_get_401_on_every_endpoint(db, method, path):
    response = getattr(APIClient(), method)(path, {"name": "env"}, format="json")
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "SEC-AUTH-009", response.content
