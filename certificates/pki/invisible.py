"""Characters a name must not hide: what an approver reads must be what the certificate says.

A bidi override (U+202E) shows ``moc.elgoog`` as ``google.com``; a zero-width space (U+200B)
or a soft hyphen (U+00AD) makes two different names look the same. Every character of Unicode
category Cf (format: invisible, or acting on the text around it), Cc (control) and Cs (lone
surrogates, which no encoding carries) is refused in DN and SAN values. Values are compared
and stored in NFC (Unicode normalization form C, UAX #15), the form RFC 5280 §7.1 asks to
compare names in: ``Café`` typed with a combining accent and ``Café`` precomposed are one name.
"""

import unicodedata

UNSAFE_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a lone surrogate",
}


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def character_name(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: the code point, and its name where it has one."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def check_visible(value: str, what: str) -> None:
    """Raises ValueError naming the first character of ``value`` that could hide or reorder
    what the reader sees; ``what`` names the value for the person who typed it."""
    for char in value:
        kind = UNSAFE_CATEGORIES.get(unicodedata.category(char))
        if kind is not None:
            raise ValueError(
                f"{what} contains {character_name(char)}, {kind} that can make a name read as "
                "another: remove it"
            )
