"""What every administration write checks of its input, whichever edge it came from."""

from django.core import exceptions as django_exceptions
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import validate_email, validate_slug
from django.db import models

from profiles.models import Label, Team
from raportal.control_characters import problem_with
from raportal.errors import invalid_request


def max_length_of(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of the model's field ``name`` (a text field: it has one)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise ImproperlyConfigured(f"{model.__name__}.{name} is not a field with a max_length")
    return field.max_length


def checked_text(text: str, field: str, *, multiline: bool = False) -> str:
    """``text`` unchanged, or 400 naming the ``field`` when it holds a control character
    (tab, CR and LF allowed when ``multiline``): the admin API refuses them at its edge, and
    the pages and the import reach the same rule here."""
    problem = problem_with(text, multiline=multiline)
    if problem:
        raise invalid_request(f"{field}: {problem}")
    return text


def checked_name(name: str, kind: str, max_length: int) -> str:
    """A slug of at most ``max_length`` characters, or 400 saying what a ``kind``'s name is."""
    try:
        validate_slug(name)
    except django_exceptions.ValidationError:
        raise invalid_request(
            f"name: {name[:80]!r} is not a valid {kind} name (letters, digits, '-' and '_')"
        ) from None
    if len(name) > max_length:
        raise invalid_request(f"name: at most {max_length} characters")
    return name


def checked_email(address: str | None, field: str) -> str:
    """The address without surrounding spaces ("" for none), or 400 naming the ``field``."""
    address = (address or "").strip()
    if address:
        try:
            validate_email(address)
        except django_exceptions.ValidationError:
            raise invalid_request(f"{field}: {address[:80]!r} is not an e-mail address") from None
    return address


def set_texts(row: Label | Team, display_name: str, description: str) -> None:
    """The row's display name and description; 400 when the display name is longer than
    the row's field."""
    limit = max_length_of(type(row), "display_name")
    if len(display_name) > limit:
        raise invalid_request(f"displayName: at most {limit} characters")
    row.display_name = checked_text(display_name, "displayName")
    row.description = checked_text(description, "description", multiline=True)
