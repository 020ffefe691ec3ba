"""How every form of the portal renders a field that has an error: the error, and not the
field's help text under it as well.

A help text says beforehand what a field expects; once the field is refused, its error says
what is wrong with what was typed, in words that stand alone (``Use the two-letter country
code…``, ``The PKCS#12 password needs at least 12 characters``). Shown together they repeat
each other (issue 17). Decided here, once, for every form and template (crispy-forms' and the
admin's alike read ``BoundField.help_text``), so the input's ``aria-describedby`` names only
what is on the page: the error.
"""

from typing import Any

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates


class ErrorInPlaceOfHelp(BoundField):
    """A bound field whose help text gives way to its errors — all but what the field's
    ``again`` says (a secret box that comes back empty: "type it again", and why), which the
    error does not say."""

    _help_text: Any = ""

    @property  # BoundField.__init__ assigns it: the setter below keeps it
    def help_text(self) -> Any:
        return getattr(self.field, AGAIN, "") if self.errors else self._help_text

    @help_text.setter
    def help_text(self, value: Any) -> None:
        self._help_text = value


AGAIN = "again"  # the field's attribute ErrorInPlaceOfHelp still shows beside an error


def say_again(field: Any, hint: str) -> None:
    """``hint`` stays under ``field`` even when it has an error (its help text does not)."""
    setattr(field, AGAIN, hint)


class PortalFormRenderer(DjangoTemplates):
    """Django's default renderer, with bound fields that show an error in place of the
    help text (settings.FORM_RENDERER)."""

    bound_field_class = ErrorInPlaceOfHelp
