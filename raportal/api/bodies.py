"""Reading a JSON body with one of the official client's models, as the admin API and the
discovery feed do: what the body carries that the model does not name (answered in the
``X-RAPortal-Ignored-Fields`` header), and the model's complaints as one problem detail."""

import re

from pydantic import BaseModel, ValidationError

IGNORED_HEADER = "X-RAPortal-Ignored-Fields"
FIELD_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def unknown_fields(data: dict, model: type[BaseModel], also_known=()) -> list[str]:
    """The keys of ``data`` the model does not name; a key of unusual characters is only said
    to exist (it may reach a response header)."""
    known = {field.alias or name for name, field in model.model_fields.items()} | set(also_known)
    return sorted(
        key if FIELD_NAME.fullmatch(key) else "(a field with an unusual name)"
        for key in data
        if key not in known
    )


def validated[M: BaseModel](model: type[M], data: dict, invalid) -> M:
    """``data`` as ``model``, or ``invalid(detail)`` raised, naming each field that is wrong
    (never the value sent: it may be a secret)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise invalid("; ".join(problems[:20])) from None
