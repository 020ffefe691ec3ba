"""Reading the admin pages' forms."""

import re


def field_block(page: str, name: str) -> str:
    """The crispy block of one field: its label, input, error and help."""
    match = re.search(rf'id="div_id_{name}".*?(?=id="div_id_|</form>)', page, re.S)
    assert match, page
    return match.group(0)
