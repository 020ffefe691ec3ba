"""The subject rule's element as two inputs: its DN type, chosen from the types the portal
encodes (certificates/pki/names.py), and its index among the elements of that type
(``ou.2``: the second OU). Sent as ``element_0`` and ``element_1``; a client that sends
``element`` written whole (``cn.1``) is understood too."""

from django import forms

from certificates.pki.names import DN_TYPES, ELEMENT_RE

TYPE_CHOICES = [("", "—")] + [
    (t.name, f"{t.short} — {t.label}" if len(t.short) <= 6 else t.label) for t in DN_TYPES.values()
]


def split_element(element: str | None) -> list[str]:
    match = ELEMENT_RE.match(element or "")
    if not match:
        return [element or "", ""]
    return [match.group(1), match.group(2)]


class ElementWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        widgets = [
            forms.Select(
                choices=TYPE_CHOICES,
                attrs={"class": "form-select form-select-sm rule-type", "aria-label": "Type"},
            ),
            forms.NumberInput(
                attrs={
                    "class": "form-control form-control-sm element-index",
                    "min": 1,
                    "max": 999,
                    "placeholder": "1",
                    "aria-label": "Index (1: the first of its type)",
                    "title": "Index: 1 for the first of its type, 2 for the second…",
                }
            ),
        ]
        super().__init__(widgets, attrs)

    def decompress(self, value):
        return split_element(value)

    def value_from_datadict(self, data, files, name):
        if name in data:  # written whole, e.g. "cn.1"
            return split_element(data.get(name))
        return super().value_from_datadict(data, files, name)


class ElementField(forms.MultiValueField):
    widget = ElementWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Element")
        fields = (
            forms.ChoiceField(choices=TYPE_CHOICES, required=False),
            forms.IntegerField(min_value=1, max_value=999, required=False),
        )
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not data_list[0]:
            return ""
        index = data_list[1] if len(data_list) > 1 and data_list[1] else 1
        return f"{data_list[0]}.{index}"

    def has_changed(self, initial, data):
        return self.compress(self._python(data)) != (initial or "")

    @staticmethod
    def _python(data) -> list:
        kind, index = [*(data or []), "", ""][:2]
        text = str(index or "").strip()
        try:
            number: int | str | None = int(text) if text else None
        except ValueError:
            number = text
        return [kind or "", number]
