"""One module per workflow; this registry maps (module, workflow) to its handler."""

from raportal.errors import invalid_request
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
