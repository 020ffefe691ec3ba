"""Dual control's profile setting (approvals required per workflow): in the profile editor,
the admin API (our ``raportal`` extras: Horizon's shapes have no such field), the exported
configuration (the editor and the profile list: pages/test_profile_dual_control.py)."""

import pytest
from horizon.models.web_ra_profile import WebRAProfile

from administration.config_io import export_config, import_config
from administration.profile_shapes import profile_json
from profiles.models import APPROVAL_WORKFLOWS, Profile
from tests.administration.test_profiles_api import catalogue, webra_body  # noqa: F401


def test_the_admin_api_writes_approvals_in_the_extras_and_the_client_model_still_parses(
    profile, staff_api
):
    profile.recover_approvals_required = 2
    profile.save()
    response = staff_api.get(f"/api/v1/certificate/profiles/{profile.name}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["raportal"]["approvalsRequired"] == {
        **{workflow: 1 for workflow in APPROVAL_WORKFLOWS},
        "recover": 2,
    }, body["raportal"]
    assert "approvalsRequired" not in body["requestsPolicy"]
    WebRAProfile.from_dict(body)  # the official client ignores our extras


def test_the_admin_api_reads_approvals_and_keeps_those_it_does_not_name(
    pki,
    catalogue,  # noqa: F811
    staff_api,
):
    body = webra_body(pki["issuing"].name, raportal={"approvalsRequired": {"recover": 2}})
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 201, response.content
    profile = Profile.objects.get(name="tls-servers")
    assert (profile.recover_approvals_required, profile.revoke_approvals_required) == (2, 1)
    body["raportal"] = {"approvalsRequired": {"revoke": 3}}
    response = staff_api.put("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert (profile.recover_approvals_required, profile.revoke_approvals_required) == (2, 3)
    del body["raportal"]  # a body from Horizon's own tools: nothing about approvals
    response = staff_api.put("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert (profile.recover_approvals_required, profile.revoke_approvals_required) == (2, 3)


@pytest.mark.parametrize(
    ("approvals", "message"),
    [
        ({"recover": 0}, "raportal.approvalsRequired.recover: a whole number from 1 to 5"),
        ({"recover": 6}, "from 1 to 5"),
        ({"recover": "2"}, "from 1 to 5"),
        ({"recover": True}, "from 1 to 5"),
        ({"search": 2}, "raportal.approvalsRequired.search: not one of enroll"),
        ([2], "expected an object"),
    ],
)
def test_a_bad_approval_count_is_a_clear_400(
    pki,
    catalogue,  # noqa: F811
    staff_api,
    approvals,
    message,
):
    body = webra_body(pki["issuing"].name, raportal={"approvalsRequired": approvals})
    response = staff_api.post("/api/v1/certificate/profiles", body, format="json")
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"], response.json()
    assert not Profile.objects.filter(name="tls-servers").exists()


@pytest.mark.django_db(transaction=True)
def test_an_exported_configuration_carries_the_approval_counts():
    from tests.administration.test_config_as_code import starting_config

    config = starting_config()
    config["profiles"][0]["raportal"] = {"approvalsRequired": {"recover": 2, "revoke": 2}}
    import_config(config)
    exported = export_config()
    approvals = exported["profiles"][0]["raportal"]["approvalsRequired"]
    assert (approvals["recover"], approvals["revoke"], approvals["enroll"]) == (2, 2, 1)
    profile = Profile.objects.get(name="provisioned-tls")
    assert profile_json(profile)["raportal"]["approvalsRequired"] == approvals
