"""What saving the profile editor changes, in words: each field as before → after, each rule
row added, removed or changed. Shown for confirmation before a profile in use is saved."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models

from raportal.durations import format_duration

EMPTY = "—"
ROW_NAMES = {"subject": "element", "san": "san_type", "label": "label"}
ROW_TITLES = {"subject": "Subject element", "san": "Alternative name", "label": "Label"}


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str


def digest(changes: list[Change]) -> str:
    """A short token naming these very changes: a confirmation applies to what was shown."""
    text = "\n".join(f"{c.what}\x00{c.before}\x00{c.after}" for c in changes)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _choice_labels(field: forms.Field) -> dict[str, str]:
    labels: dict[str, str] = {}
    for value, label in getattr(field, "choices", []):
        if isinstance(label, (list, tuple)):  # an optgroup
            labels |= {str(v): str(lbl) for v, lbl in label}
        else:
            labels[str(value)] = str(label)
    return labels


def shown(field: forms.Field, value: Any) -> str:
    """A field's value as the editor's words say it."""
    if isinstance(field, forms.BooleanField) or isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "" or value == [] or value == ():
        return EMPTY
    if isinstance(field, forms.ModelMultipleChoiceField):
        return ", ".join(sorted(str(v) for v in value))
    if isinstance(field, forms.ModelChoiceField):
        if isinstance(value, models.Model):
            return str(value)
        found = field.queryset.filter(pk=value).first() if field.queryset is not None else None
        return str(found) if found is not None else str(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(field, forms.ChoiceField):
        labels = _choice_labels(field)
        values = value if isinstance(value, (list, tuple)) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def form_changes(form: forms.BaseForm) -> list[Change]:
    changes = []
    for name in form.changed_data:
        field = form.fields[name]
        if field.disabled:
            continue
        before = shown(field, form[name].initial)
        after = shown(field, form.cleaned_data.get(name))
        if before != after:
            changes.append(Change(str(field.label or name), before, after))
    return changes


def _row(form: forms.BaseForm, key: str, data: dict) -> str:
    field = form.fields[ROW_NAMES[key]]
    return f"{ROW_TITLES[key]} {shown(field, data.get(ROW_NAMES[key]))}"


def _summary(form: forms.BaseForm, data: dict) -> str:
    """A rule row in one line: its values and flags."""
    parts = []
    for name, field in form.fields.items():
        if name in ("DELETE", "id", "profile", "position") or isinstance(
            field.widget, forms.HiddenInput
        ):
            continue
        value = data.get(name)
        if isinstance(field, forms.BooleanField):
            if value:
                parts.append(str(field.label).lower())
        elif value not in (None, "", []):
            parts.append(f"{str(field.label).lower()} {shown(field, value)}")
    return ", ".join(parts) or EMPTY


def rule_changes(formsets: dict) -> list[Change]:
    changes = []
    for key, formset in formsets.items():
        deleted = formset.deleted_forms
        for form in formset.forms:
            existing = form.instance.pk is not None
            if form in deleted:
                if existing:
                    row = _row(form, key, form.initial)
                    changes.append(Change(row, _summary(form, form.initial), "removed"))
                continue
            if not form.has_changed():
                continue
            if not existing:
                row = _row(form, key, form.cleaned_data)
                changes.append(Change(row, "(new)", _summary(form, form.cleaned_data)))
                continue
            row = _row(form, key, form.initial)
            for name in form.changed_data:
                field = form.fields[name]
                before = shown(field, form[name].initial)
                after = shown(field, form.cleaned_data.get(name))
                if before != after:
                    changes.append(Change(f"{row}: {str(field.label).lower()}", before, after))
    return changes
