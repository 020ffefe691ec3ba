"""Every API error is application/problem+json with the contract's fields; never HTML."""

from tests.factories import api_key_for


def test_an_unknown_api_path_answers_a_json_problem(requester, client):
    key = api_key_for(requester)
    response = client.get("/api/v1/nope", HTTP_X_API_ID="requester", HTTP_X_API_KEY=key)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert set(response.json()) >= {"error", "message", "title", "detail", "status"}


def test_a_wrong_method_answers_a_json_problem(requester, client):
    key = api_key_for(requester)
    response = client.get("/api/v1/requests/submit", HTTP_X_API_ID="requester", HTTP_X_API_KEY=key)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_an_unexpected_error_is_a_json_500_without_a_stack_trace(
    profile, approver, client, monkeypatch
):
    from requests_app.workflows.enroll import EnrollWorkflow

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(EnrollWorkflow, "resolve", explode)
    key = api_key_for(approver)
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/requests/submit",
        {"profile": "webra-demo", "workflow": "enroll", "template": {}},
        content_type="application/json",
        HTTP_X_API_ID="approver",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["error"] == "REQ-001"
    assert b"secret internal detail" not in response.content


def test_an_oversized_body_is_a_json_413(profile, approver, client):
    key = api_key_for(approver)
    body = '{"profile": "webra-demo", "workflow": "enroll", "requesterComment": "%s"}' % (
        "x" * 3_000_000
    )
    response = client.post(
        "/api/v1/requests/submit",
        body,
        content_type="application/json",
        HTTP_X_API_ID="approver",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 413
    assert response.json()["error"] == "REQ-002"


def test_absurdly_nested_json_is_refused_not_crashed(profile, approver, client):
    key = api_key_for(approver)
    response = client.post(
        "/api/v1/requests/submit",
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        HTTP_X_API_ID="approver",
        HTTP_X_API_KEY=key,
    )
    assert (response.status_code, response.json()["error"]) == (400, "REQ-002")


def test_an_unknown_format_suffix_is_a_json_404_not_a_crash(requester, client):
    key = api_key_for(requester)
    response = client.get(
        "/api/v1/security/principals/self?format=xyz", HTTP_X_API_ID="requester", HTTP_X_API_KEY=key
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_every_problem_answered_is_logged_with_its_code_and_detail(profile, approver_api, caplog):
    # Clients that hide their errors (Ansible with no_log) leave the operator only this line.
    from tests.conftest import enroll_body

    caplog.set_level("INFO", logger="raportal.api.problems")
    status, body = approver_api.submit(enroll_body(profile="no-such-profile"))
    assert status == 404, body
    lines = [r.getMessage() for r in caplog.records if r.name == "raportal.api.problems"]
    assert lines == [f"problem 404 REQ-010: {body['detail']}"], lines
