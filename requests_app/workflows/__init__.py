"""One module per workflow; this registry maps (module, workflow) to its handler."""

from raportal.errors import invalid_request
from requests_app.workflows.base import WorkflowHandler
from requests_app.workflows.enroll import EnrollWorkflow

HANDLERS: dict[tuple[str, str], WorkflowHandler] = {
    (handler.module, handler.name): handler for handler in [EnrollWorkflow()]
}


def handler_for(module: str, workflow: str) -> WorkflowHandler:
    handler = HANDLERS.get((module, workflow))
    if handler is None:
        supported = ", ".join(f"{m}/{w}" for m, w in HANDLERS)
        raise invalid_request(
            f"{module}/{workflow} requests are not supported yet (supported: {supported})"
        )
    return handler
