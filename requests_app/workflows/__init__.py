"""One module per workflow; this registry maps (module, workflow) to its handler."""

from typing import Any

from raportal.errors import invalid_request
from requests_app.models import Request
from requests_app.workflows.acme import AcmeEnrollWorkflow
from requests_app.workflows.base import WorkflowHandler
from requests_app.workflows.challenge import EstEnrollWorkflow, ScepEnrollWorkflow
from requests_app.workflows.enroll import EnrollWorkflow
from requests_app.workflows.import_ import ImportWorkflow
from requests_app.workflows.migrate import MigrateWorkflow
from requests_app.workflows.recover import RecoverWorkflow
from requests_app.workflows.renew import RenewWorkflow
from requests_app.workflows.revoke import RevokeWorkflow
from requests_app.workflows.update import UpdateWorkflow

HANDLERS: dict[tuple[str, str], WorkflowHandler] = {
    (handler.module, handler.name): handler
    for handler in [
        EnrollWorkflow(),
        RevokeWorkflow(),
        UpdateWorkflow(),
        RenewWorkflow(),
        RecoverWorkflow(),
        MigrateWorkflow(),
        ImportWorkflow(),
        EstEnrollWorkflow(),
        ScepEnrollWorkflow(),
        AcmeEnrollWorkflow(),
    ]
}


def handler_for(module: str, workflow: str) -> WorkflowHandler:
    handler = HANDLERS.get((module, workflow))
    if handler is None:
        supported = ", ".join(f"{m}/{w}" for m, w in HANDLERS)
        raise invalid_request(
            f"{module}/{workflow} is not a request this portal handles ({supported})"
        )
    return handler


def template_json_of(request: Request) -> dict[str, Any] | None:
    """The template of a stored request as the API returns it (its handler's shape). A
    request no handler files has none: a device's re-enrollment over EST or SCEP
    (requests_app/reenrollment.py) is recorded as a completed ``renew`` of module est or
    scep, a request the contract has no shape for and nobody submits."""
    handler = HANDLERS.get((request.module, request.workflow))
    return handler.template_json(request) if handler is not None else None
