"""Reading a JSON body with one of the official client's models, as the admin API and the
discovery feed do: what the body carries that the model does not name (answered in the
``X-RAPortal-Ignored-Fields`` header), and the model's complaints as one problem detail.

No key or string of the body may hold a control character (raportal/control_characters.py):
tab, CR and LF only under the fields that are text of several lines."""

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from raportal.control_characters import strings_with_control_characters

IGNORED_HEADER = "X-RAPortal-Ignored-Fields"
FIELD_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# Texts of several lines in the client's models: descriptions, a profile's terms of service,
# PEM certificates and keys, search queries, a trigger's mail body and REST payload. Every
# other string is one line.
MULTILINE_FIELDS = frozenset(
    {
        "description",
        "termsOfService",
        "certificate",
        "caCert",
        "caKey",
        "privateKey",
        "csr",
        "query",
        "localQuery",
        "body",
        "payload",
    }
)


def unknown_fields(data: dict, model: type[BaseModel], also_known=()) -> list[str]:
    """The keys of ``data`` the model does not name; a key of unusual characters is only said
    to exist (it may reach a response header)."""
    known = {field.alias or name for name, field in model.model_fields.items()} | set(also_known)
    return sorted(
        key if FIELD_NAME.fullmatch(key) else "(a field with an unusual name)"
        for key in data
        if key not in known
    )


def check_text(data: Any, invalid) -> None:
    """``invalid(detail)`` raised when a key or a string of ``data`` holds a control
    character, naming where (never the value)."""
    problems = list(strings_with_control_characters(data, MULTILINE_FIELDS))
    if problems:
        raise invalid("; ".join(problems[:20]))


def validated[M: BaseModel](model: type[M], data: dict, invalid) -> M:
    """``data`` as ``model``, or ``invalid(detail)`` raised, naming each field that is wrong
    (never the value sent: it may be a secret)."""
    check_text(data, invalid)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise invalid("; ".join(problems[:20])) from None
