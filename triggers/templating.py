"""Dynamic attributes in trigger texts: ``{{request.dn}}``, ``{{certificate.notAfter}}`` …

A trigger's title, body, URL, headers and payload name values of the event's dictionary
(``triggers.dictionary`` documents its keys) between double braces; spaces inside the braces
are allowed. A name the dictionary lacks becomes the empty string. Each value is escaped for
where it lands: HTML in an HTML mail, JSON string content in a JSON payload, percent-encoding
in a URL, and nothing in plain text — so a DN with quotes or ``<`` cannot break the
document it is placed in, and a header value never gains a line break.
"""

import html
import json
import re
from collections.abc import Callable, Mapping
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")

ESCAPES: dict[str, Callable[[str], str]] = {
    "text": lambda value: value,
    "html": html.escape,
    "json": lambda value: json.dumps(value, ensure_ascii=False)[1:-1],
    "url": lambda value: quote(value, safe=""),
    "header": lambda value: re.sub(r"[\x00-\x1f\x7f]", " ", value),
}


def render(text: str | None, dictionary: Mapping[str, object], escape: str = "text") -> str:
    """``text`` with each ``{{name}}`` replaced by the dictionary's value, escaped."""
    if not text:
        return ""
    escaper = ESCAPES[escape]

    def value(match: re.Match[str]) -> str:
        found = dictionary.get(match[1])
        if found is None:
            return ""
        if isinstance(found, list | tuple):
            found = ", ".join(str(item) for item in found)
        return escaper(str(found))

    return PLACEHOLDER.sub(value, text)


def names_in(text: str | None) -> list[str]:
    """The dictionary names ``text`` refers to."""
    return PLACEHOLDER.findall(text or "")
