"""Control characters (Unicode category Cc: C0, DEL and C1) are refused wherever text enters:
query strings, path parameters and the admin API's bodies.

PostgreSQL cannot store or compare a NUL (the driver raises before the query is sent, which
would answer 500), and no name, search or setting of the portal means any other control
character: an escape sequence or a C1 control in a display name is there to mislead whoever
reads it in a terminal or a log. Tab, CR and LF are kept only where text is genuinely
multi-line (descriptions, PEM bodies, queries).
"""

import unicodedata
from collections.abc import Iterator
from typing import Any

LINE_BREAKS = frozenset("\t\r\n")


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character in ``text`` (tab, CR and LF allowed when ``multiline``),
    or None."""
    for char in text:
        if unicodedata.category(char) == "Cc" and not (multiline and char in LINE_BREAKS):
            return char
    return None


def named(char: str) -> str:
    """How an error names the character: ``U+0000``."""
    return f"U+{ord(char):04X}"


def problem_with(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``text`` in words, or None when it holds no control character."""
    char = control_character(text, multiline=multiline)
    if char is None:
        return None
    return f"holds a control character ({named(char)}), which is not allowed here"


def refusal(text: str, *, multiline: bool = False) -> str | None:
    """What a form says beside a field whose ``text`` holds a control character, or None."""
    problem = problem_with(text, multiline=multiline)
    return f"This {problem}: remove it and try again." if problem else None


def strings_with_control_characters(
    data: Any, multiline_fields: frozenset[str], path: str = ""
) -> Iterator[str]:
    """Where in a JSON document (``a.b[0].c``) a string or a key holds a control character;
    tab, CR and LF are allowed under a key named in ``multiline_fields``, at any depth. The
    document's own keys are not read: they are field names, and a field the client's model
    does not name is ignored (and reported without its name when unusual:
    raportal/api/bodies.py); keys inside a field are data (a mapping's keys)."""
    multiline = any(part in multiline_fields for part in _parts(path))
    if isinstance(data, str):
        problem = problem_with(data, multiline=multiline)
        if problem:
            yield f"{path or 'body'}: {problem}"
    elif isinstance(data, dict):
        for key, value in data.items():
            if path and control_character(str(key)):
                yield f"{path}: a key {problem_with(str(key))}"
                continue
            yield from strings_with_control_characters(
                value, multiline_fields, f"{path}.{key}" if path else key
            )
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from strings_with_control_characters(item, multiline_fields, f"{path}[{index}]")


def _parts(path: str) -> list[str]:
    return [part.partition("[")[0] for part in path.split(".")]
