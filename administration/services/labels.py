"""The label catalogue: labels that profiles' label rules refer to by name."""

from django.db import IntegrityError, transaction

from administration.services.checks import already_exists, require_administrator, written
from administration.services.validation import checked_name, max_length_of, set_texts
from profiles.models import Label, LabelRule, Profile
from raportal import audit_changes
from raportal.callers import Principal
from raportal.errors import DomainError

NAME_MAX = max_length_of(Label, "name")
LABEL_FIELDS = ("name", "display_name", "description")


def profiles_using_label(name: str) -> list[Profile]:
    """The profiles whose label rules refer to the label ``name``."""
    return list(
        Profile.objects.filter(
            pk__in=LabelRule.objects.filter(label=name).values("profile")
        ).order_by("name")
    )


class LabelInUse(DomainError):
    """409: the label rules of ``profiles`` name the label."""

    def __init__(self, name: str, profiles: list[Profile]):
        super().__init__(
            "REQ-002",
            f"label {name!r} is used by the label rules of profile(s) "
            f"{', '.join(p.name for p in profiles)}: remove it from them first",
            status=409,
        )
        self.profiles = profiles
        self.reason = "referenced"


def create_label(
    actor: Principal, *, name: str, display_name: str = "", description: str = ""
) -> Label:
    require_administrator(actor)
    label = Label(name=checked_name(name, "label", NAME_MAX))
    set_texts(label, display_name, description)
    try:
        with transaction.atomic():
            label.save()
            written(actor, "label.create", label, name=label.name)
    except IntegrityError:
        raise already_exists("label", name) from None
    return label


def update_label(
    actor: Principal,
    label: Label,
    *,
    display_name: str,
    description: str,
    name: str | None = None,
) -> Label:
    """The label's texts (and name: refused while label rules use the old one)."""
    require_administrator(actor)
    with transaction.atomic():
        label = Label.objects.select_for_update().get(pk=label.pk)
        before = audit_changes.snapshot(label, LABEL_FIELDS)
        if name is not None and name != label.name:
            checked_name(name, "label", NAME_MAX)
            users = profiles_using_label(label.name)
            if users:
                raise LabelInUse(label.name, users)
            if Label.objects.filter(name=name).exists():
                raise already_exists("label", name)
            label.name = name
        set_texts(label, display_name, description)
        label.save()
        after = audit_changes.snapshot(label, LABEL_FIELDS)
        written(
            actor, "label.update", label, name=label.name, **audit_changes.detail(before, after)
        )
    return label


def delete_label(actor: Principal, label: Label) -> None:
    """Deletes a label no profile's label rule uses; ``LabelInUse`` (409) otherwise."""
    require_administrator(actor)
    with transaction.atomic():
        label = Label.objects.select_for_update().get(pk=label.pk)
        users = profiles_using_label(label.name)
        if users:
            raise LabelInUse(label.name, users)
        written(actor, "label.delete", label, name=label.name)
        label.delete()
