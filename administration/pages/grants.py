"""A profile's grants as one matrix: a row per principal (user or team), a column per
workflow, each cell none / request / perform; one form saves the whole matrix."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from administration.pages.access import staff_required
from administration.services.grants import GrantEntry, set_profile_grants
from profiles.models import GrantLevel, Profile, Team, Workflow

LEVELS = [("", "none"), *[(level.value, level.value) for level in GrantLevel]]


@dataclass
class Row:
    key: str  # "u12" or "t3"
    principal: User | Team
    is_team: bool
    cells: list[tuple[Workflow, str]]

    @property
    def label(self) -> str:
        if isinstance(self.principal, Team):  # is_team
            return self.principal.name
        return self.principal.get_username()


def _level_field(label: str, initial: str | None = None) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=LEVELS,
        required=False,
        initial=initial or "",
        label=label,
        widget=forms.Select(attrs={"class": "form-select form-select-sm", "aria-label": label}),
    )


class GrantMatrixForm(forms.Form):
    """One field per principal and workflow (``u12-enroll``), and an "add" row: a principal
    to choose (``add``) and its levels (``add-enroll``…)."""

    def __init__(self, profile: Profile, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        levels: dict[str, str] = {}
        principals: dict[str, User | Team] = {}
        for grant in profile.grants.select_related("user", "team"):
            key = f"u{grant.user_id}" if grant.user_id else f"t{grant.team_id}"
            principal = grant.user or grant.team
            assert principal is not None, "a grant is to a user or to a team"
            principals[key] = principal
            levels[f"{key}-{grant.workflow}"] = grant.level
        self.rows: list[Row] = []
        for key, principal in sorted(
            principals.items(), key=lambda item: (item[0][0], str(item[1]).lower())
        ):
            row = Row(key, principal, key.startswith("t"), [])
            for workflow in Workflow:
                name = f"{key}-{workflow.value}"
                self.fields[name] = _level_field(
                    f"{workflow.label} for {row.label}", levels.get(name)
                )
                row.cells.append((workflow, name))
            self.rows.append(row)
        self.fields["add"] = forms.ChoiceField(
            required=False,
            label="Add a principal",
            choices=self._principal_choices(set(principals)),
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )
        self.add_cells: list[tuple[Workflow, str]] = []
        for workflow in Workflow:
            name = f"add-{workflow.value}"
            self.fields[name] = _level_field(f"{workflow.label} for the added principal")
            self.add_cells.append((workflow, name))

    def _principal_choices(self, present: set[str]) -> list:
        users = [
            (f"u{pk}", username)
            for pk, username in get_user_model()
            .objects.order_by("username")
            .values_list("pk", "username")
            if f"u{pk}" not in present
        ]
        teams = [
            (f"t{pk}", name)
            for pk, name in Team.objects.order_by("name").values_list("pk", "name")
            if f"t{pk}" not in present
        ]
        return [("", "choose a user or a team…"), ("Teams", teams), ("Users", users)]

    def clean(self):
        data = super().clean()
        assert data is not None, "Form.clean returns cleaned_data"
        added = [(w, data.get(name)) for w, name in self.add_cells if data.get(name)]
        if data.get("add") and not added:
            self.add_error("add", "Choose at least one level for the principal you add.")
        if added and not data.get("add"):
            self.add_error("add", "Choose who gets the levels set on the last row.")
        return data

    def entries(self) -> list[GrantEntry]:
        """The grants the form asks for."""
        data = self.cleaned_data
        out = []
        for row in self.rows:
            principal = row.principal
            user, team = (None, principal) if isinstance(principal, Team) else (principal, None)
            out += [
                GrantEntry(user=user, team=team, workflow=w.value, level=data[name])
                for w, name in row.cells
                if data.get(name)
            ]
        if data.get("add"):
            principal = self._added_principal(data["add"])
            user, team = (None, principal) if isinstance(principal, Team) else (principal, None)
            out += [
                GrantEntry(user=user, team=team, workflow=w.value, level=data[n])
                for w, n in self.add_cells
                if data.get(n)
            ]
        return out

    @staticmethod
    def _added_principal(key: str) -> User | Team:
        if key.startswith("t"):
            return Team.objects.get(pk=int(key[1:]))
        return get_user_model().objects.get(pk=int(key[1:]))


def _everyone(profile: Profile) -> list[tuple[str, str]]:
    """The profile's authenticated levels: (workflow, level) any signed-in account holds."""
    levels = profile.authenticated_levels or {}
    return [(w.label, levels[w.value]) for w in Workflow if levels.get(w.value)]


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_grants(request, name: str):
    profile = get_object_or_404(Profile, name=name)
    form = GrantMatrixForm(profile, request.POST or None)
    if request.method == "POST" and form.is_valid():
        summary = set_profile_grants(request.user, profile, grants=form.entries())
        messages.success(
            request,
            f"Grants of {profile.name} saved: {summary['added']} added, "
            f"{summary['changed']} changed, {summary['removed']} removed.",
        )
        return redirect("admin-profile-grants", profile.name)
    return render(
        request,
        "administration/grants.html",
        {
            "profile": profile,
            "form": form,
            "workflows": list(Workflow),
            "everyone": _everyone(profile),
        },
    )
