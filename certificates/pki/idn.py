"""Internationalized DNS names (IDNA 2008: RFC 5890-5893), as certificates carry them.

A dNSName is an IA5String (RFC 5280 §4.2.1.6, §7.2): an internationalized label appears in
it as its A-label (``xn--`` and Punycode), never as Unicode. Every A-label must be one: it
decodes, its U-label passes the IDNA 2008 rules (permitted code points, contextual rules,
the Bidi rule), and encoding that U-label gives the A-label back (no "fake A-label",
RFC 5890 §2.3.2.1). A label that mixes scripts (a Cyrillic a, U+0430, among Latin letters: a
homograph of another name) is refused unless the profile allows it; the mixes Japanese,
Chinese and Korean names use (UTS #39, "Highly Restrictive") are not counted as mixed.
"""

import unicodedata

import idna

ACE_PREFIX = "xn--"

# Unicode has no script property in Python's unicodedata: a letter's script is the first
# word of its name (LATIN SMALL LETTER A, CYRILLIC SMALL LETTER A, CJK UNIFIED IDEOGRAPH…),
# with these spellings merged; None marks letters shared by scripts.
SCRIPT_SPELLINGS: dict[str, str | None] = {
    "CJK": "Han",
    "IDEOGRAPHIC": "Han",
    "KATAKANA-HIRAGANA": None,  # the prolonged sound mark (ー), in both kana
}
# UTS #39 §5.2 "Highly Restrictive": the script sets a single name may mix.
USUAL_MIXES = (
    {"Latin", "Han", "Hiragana", "Katakana"},
    {"Latin", "Han", "Bopomofo"},
    {"Latin", "Han", "Hangul"},
)
RIGHT_TO_LEFT = {"R", "AL", "AN"}  # RFC 5893 §1.4: a label holding one is an RTL label


def _script(char: str) -> str | None:
    word = unicodedata.name(char, "").split(" ", 1)[0]
    return SCRIPT_SPELLINGS.get(word, word.capitalize() or None)


def scripts_of(text: str) -> set[str]:
    """The scripts of the letters of ``text`` (digits, hyphens and marks belong to none)."""
    letters = (char for char in text if unicodedata.category(char).startswith("L"))
    return {script for script in map(_script, letters) if script is not None}


def is_mixed_script(text: str) -> bool:
    scripts = scripts_of(text)
    return len(scripts) > 1 and not any(scripts <= mix for mix in USUAL_MIXES)


def check_a_labels(name: str, labels: list[str], *, mixed_scripts: bool = False) -> None:
    """Checks the A-labels among ``labels`` (lower case, the parts of ``name``) by IDNA 2008;
    raises ValueError saying which label is wrong and why."""
    decoded = []
    for label in labels:
        if not label.startswith(ACE_PREFIX):
            decoded.append(label)
            continue
        try:
            u_label = idna.ulabel(label)
            if idna.alabel(u_label).decode("ascii") != label:
                raise idna.IDNAError("it is not the canonical A-label of its U-label")
        except idna.IDNAError as exc:
            raise ValueError(
                f"{name!r}: {label} is not a valid internationalized label (IDNA 2008, "
                f"RFC 5891 §5.4: {exc})"
            ) from None
        if not mixed_scripts and is_mixed_script(u_label):
            scripts = " and ".join(sorted(scripts_of(u_label)))
            raise ValueError(
                f"{name!r}: {label} ({u_label!r}) mixes {scripts} letters, so it can imitate "
                "another name; this profile does not allow mixed-script labels"
            )
        decoded.append(u_label)
    _check_bidi_domain(name, decoded)


def _check_bidi_domain(name: str, u_labels: list[str]) -> None:
    """RFC 5893 §2: in a name holding a right-to-left label, every label follows the Bidi
    rule (``idna.ulabel`` applies it to right-to-left labels only)."""
    if not any(unicodedata.bidirectional(c) in RIGHT_TO_LEFT for label in u_labels for c in label):
        return
    for label in u_labels:
        try:
            idna.check_bidi(label, check_ltr=True)
        except idna.IDNAError as exc:
            raise ValueError(
                f"{name!r} holds a right-to-left label, and {label!r} breaks the Bidi rule "
                f"beside it (IDNA 2008, RFC 5893 §2: {exc})"
            ) from None


def a_label_form(value: str) -> str | None:
    """The ASCII form (A-labels, IDNA 2008 with the UTS #46 mapping browsers apply: case,
    width) of a host name typed in Unicode, or None when it has none. A leading ``*.`` is
    kept. Every label typed with non-ASCII characters must become an A-label: a label the
    mapping turns into plain ASCII would be another name than the one typed."""
    text = value.strip().rstrip(".")
    prefix = ""
    if text.startswith("*."):
        prefix, text = "*.", text[2:]
    if not text or text.isascii():
        return None
    try:
        encoded = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        return None
    typed, ascii_labels = text.split("."), encoded.split(".")
    if len(typed) != len(ascii_labels):
        return None
    for before, after in zip(typed, ascii_labels, strict=True):
        if not before.isascii() and not after.startswith(ACE_PREFIX):
            return None
    return prefix + encoded
