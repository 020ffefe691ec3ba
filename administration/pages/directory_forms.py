"""What the directory's forms share: choosing accounts, names that cannot clash with a
page's own path."""

from django import forms
from django.contrib.auth import get_user_model

# Paths under /manage/teams/ and /manage/labels/ that are pages, not names.
RESERVED_NAMES = frozenset({"new"})


class AccountChoices(forms.ModelMultipleChoiceField):
    """Accounts as checkboxes, each named by username, full name and email."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            queryset=get_user_model().objects.order_by("username"), required=False, **kwargs
        )

    def label_from_instance(self, user):
        extra = " · ".join(part for part in (user.get_full_name(), user.email) if part)
        return f"{user.get_username()} ({extra})" if extra else user.get_username()


def check_not_reserved(name: str) -> str:
    if name in RESERVED_NAMES:
        raise forms.ValidationError(f"“{name}” is reserved: choose another name.")
    return name
