"""Profiles: create and update (their fields and rule tables, from the editor's forms or a
Horizon profile document), enable or disable, clone, delete (only one nothing refers to)."""

from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.deletion import ProtectedError

from administration.services.checks import already_exists, require_administrator, written
from profiles.models import LabelRule, Profile, SanRule, SubjectRule
from raportal import audit_changes
from raportal.callers import Principal
from raportal.errors import conflict, invalid_request


class ProfileSource(Protocol):
    """What writes a profile's fields and rules, already validated at the edge: the page's
    ``ProfileEditor`` or a Horizon profile document (administration/profile_shapes.py)."""

    def write(self, profile: Profile | None) -> tuple[Profile, list[str]]:
        """Saves ``profile`` (None: a new one); returns it and the fields ignored."""
        ...


# A profile's fields as the audit log shows their change: its own columns (none holds a
# secret), its related rows by name, and its rules summarised one line each.
RELATED_NAMES = {
    "ca": "ca__name",
    "password_policy": "password_policy__name",
    "team_default": "team_default__name",
}


def profile_state(pk: int) -> dict[str, Any]:
    """The profile as stored, for the before → after of its audit event: one query for its
    columns, one per table of rules, one for the team whitelist."""
    columns = [
        field.attname
        for field in Profile._meta.concrete_fields
        if not field.is_relation and field.name != "id"
    ]
    row = Profile.objects.filter(pk=pk).values(*columns, *RELATED_NAMES.values()).first() or {}
    state = audit_changes.snapshot(row, columns)
    for field, lookup in RELATED_NAMES.items():
        state[field] = row.get(lookup)
    state["team_whitelist"] = sorted(
        Profile.team_whitelist.through.objects.filter(profile_id=pk).values_list(
            "team__name", flat=True
        )
    )
    for key, model in (("subject", SubjectRule), ("sans", SanRule), ("labels", LabelRule)):
        state[f"{key}_rules"] = [_rule_line(rule) for rule in model.objects.filter(profile_id=pk)]
    return state


RULE_KEYS = ("element", "san_type", "label")


def _rule_line(rule: SubjectRule | SanRule | LabelRule) -> str:
    """``cn.1 mandatory editable_by_approver regex=…``: its values, its flags when set."""
    fields = [f.attname for f in rule._meta.concrete_fields if f.name not in ("id", "profile")]
    fields.sort(key=lambda name: name not in RULE_KEYS)  # what the rule is about first
    words = []
    for key, value in audit_changes.snapshot(rule, fields).items():
        if value is True:
            words.append(key)
        elif value not in ("", None, False, []):
            words.append(f"{key}={value}")
    return " ".join(words)


def _detail(via: str | None, ignored: list[str]) -> dict[str, Any]:
    return {"via": via, "ignored": ignored} if via else {}


def create_profile(
    actor: Principal, *, name: str, source: ProfileSource, via: str | None = None
) -> tuple[Profile, list[str]]:
    """A new profile named ``name`` from ``source`` (409 when the name is taken); returns it
    and what the source ignored."""
    require_administrator(actor)
    with transaction.atomic():
        if Profile.objects.filter(name=name).exists():
            raise already_exists("profile", name)
        profile, ignored = source.write(None)
        written(actor, "profile.create", profile, name=profile.name, **_detail(via, ignored))
    return profile, ignored


def update_profile(
    actor: Principal, profile: Profile, *, source: ProfileSource, via: str | None = None
) -> tuple[Profile, list[str]]:
    """The profile as ``source`` describes it (locked: two updates apply one after the
    other); returns it and what the source ignored."""
    require_administrator(actor)
    with transaction.atomic():
        Profile.objects.select_for_update().filter(pk=profile.pk).first()
        before = profile_state(profile.pk)
        profile, ignored = source.write(profile)
        written(
            actor,
            "profile.update",
            profile,
            name=profile.name,
            **_detail(via, ignored),
            **audit_changes.detail(before, profile_state(profile.pk)),
        )
    return profile, ignored


def set_profile_enabled(actor: Principal, profile: Profile, *, enabled: bool) -> Profile:
    require_administrator(actor)
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile.pk)
        before = {"enabled": profile.enabled}
        profile.enabled = enabled
        profile.save(update_fields=["enabled"])
        written(
            actor,
            "profile.enable" if enabled else "profile.disable",
            profile,
            **audit_changes.detail(before, {"enabled": enabled}),
        )
    return profile


def clone_profile(actor: Principal, source: Profile, *, new_name: str) -> Profile:
    """A disabled copy of ``source`` (rules and team whitelist included) named ``new_name``;
    grants are not copied."""
    require_administrator(actor)
    name_field = Profile._meta.get_field("name")
    try:
        name_field.run_validators(new_name)
    except ValidationError:
        new_name_ok = False
    else:
        new_name_ok = bool(new_name) and len(new_name) <= (name_field.max_length or 0)
    if not new_name_ok:
        raise invalid_request(f"name: {new_name[:80]!r} is not a valid profile name")
    with transaction.atomic():
        if Profile.objects.filter(name=new_name).exists():
            raise already_exists("profile", new_name)
        original = source.name
        source = Profile.objects.prefetch_related("subject_rules", "san_rules", "label_rules").get(
            pk=source.pk
        )
        whitelist = list(source.team_whitelist.all())
        rules: list[SubjectRule | SanRule | LabelRule] = [
            *source.subject_rules.all(),
            *source.san_rules.all(),
            *source.label_rules.all(),
        ]
        clone = source
        clone.pk, clone.id, clone.name, clone.enabled = None, None, new_name, False
        clone._state.adding = True
        clone.save()
        clone.team_whitelist.set(whitelist)
        for rule in rules:
            rule.pk = rule.id = None
            rule._state.adding = True
            rule.profile = clone
            rule.save()
        written(actor, "profile.clone", clone, name=new_name, source=original)
    return clone


def delete_profile(actor: Principal, profile: Profile, *, via: str | None = None) -> None:
    """Deletes a profile without certificates nor requests (409 otherwise: their history
    must stay; disable it instead)."""
    require_administrator(actor)
    name = profile.name
    try:
        with transaction.atomic():
            profile = Profile.objects.select_for_update().get(pk=profile.pk)
            written(actor, "profile.delete", profile, name=name, **({"via": via} if via else {}))
            profile.delete()
    except ProtectedError:
        raise conflict(
            f"profile {name!r} has certificates or requests: disable it instead "
            "(their history must stay)"
        ) from None
