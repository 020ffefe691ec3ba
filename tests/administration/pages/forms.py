"""Reading the admin pages' forms."""

import re
from html.parser import HTMLParser


def field_block(page: str, name: str) -> str:
    """The crispy block of one field: its label, input, error and help."""
    match = re.search(rf'id="div_id_{name}".*?(?=id="div_id_|</form>)', page, re.S)
    assert match, page
    return match.group(0)


class _FormValues(HTMLParser):
    """What a browser would send for one form, untouched: inputs (checked boxes and radios
    only), selected options (the first one when none is), textareas."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, []
        self.select: str | None = None
        self.multiple = False
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a or tag == "template":
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                box = a.get("type") in ("checkbox", "radio")
                self.values.append((name, a.get("value", "on" if box else "")))
        elif tag == "select" and name:
            self.select, self.options, self.multiple = name, [], "multiple" in a
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            chosen = [v for v, selected in self.options if selected]
            if not chosen and not self.multiple:
                chosen = [v for v, _ in self.options[:1]]
            self.values += [(self.select, v) for v in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.values.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None


def form_values(page: str, form_id: str = "profile-editor") -> dict:
    """The form's values as a browser posts them (lists for repeated names)."""
    parser = _FormValues(form_id)
    parser.feed(page)
    data: dict = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}
