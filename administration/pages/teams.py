"""Teams: the list, the create and edit form (members and managers), deletion."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from administration.pages.access import staff_required
from administration.pages.directory_forms import AccountChoices, check_not_reserved
from administration.pages.listing import SearchQuery, search_page
from administration.services import teams as services
from profiles.models import Team
from raportal import identifiers
from raportal.errors import DomainError
from raportal.query_strings import reads_query

PAGE_SIZE = 25


class TeamForm(forms.ModelForm):
    members = AccountChoices(help_text="They see and act on the team's requests and certificates.")
    managers = AccountChoices(help_text="They look after the team (its contact people).")

    class Meta:
        model = Team
        fields = ["name", "display_name", "description", "contact_email", "members", "managers"]
        help_texts = {
            "name": "Letters, digits, - and _: how the API and the requests name the team.",
            "display_name": "What the pages show (the name when empty).",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        return check_not_reserved(self.cleaned_data["name"])


@staff_required
@reads_query(SearchQuery)
def team_list(request, query: SearchQuery):
    teams = (
        Team.objects.annotate(member_count=Count("members", distinct=True))
        .prefetch_related("managers")
        .order_by("name")
    )
    return search_page(
        request,
        query,
        teams,
        ("name", "display_name", "contact_email"),
        PAGE_SIZE,
        "administration/teams.html",
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_create(request):
    return _team_form(request, Team())


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_edit(request, name: str):
    return _team_form(request, get_object_or_404(Team, name=name))


def _team_form(request, team: Team):
    created = team.pk is None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "display_name": data["display_name"],
            "description": data["description"],
            "contact_email": data["contact_email"],
            "members": data["members"],
            "managers": data["managers"],
        }
        try:
            if created:
                team = services.create_team(request.user, name=data["name"], **fields)
            else:
                team = services.update_team(request.user, team, name=data["name"], **fields)
        except DomainError as error:
            messages.error(request, error.detail)
            return redirect("admin-team-list")
        messages.success(
            request, identifiers.saved_message("Team", "admin-team-edit", team, created)
        )
        return redirect("admin-team-list")
    return render(
        request, "administration/team_form.html", {"form": form, "team": team, "created": created}
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_delete(request, name: str):
    team = get_object_or_404(Team, name=name)
    if request.method == "POST":
        if not request.POST.get("confirm"):
            messages.error(request, "Tick “Yes, delete this team” to confirm, then delete.")
            return redirect("admin-team-delete", team.name)
        try:
            grants = services.delete_team(request.user, team)
        except DomainError as error:
            messages.error(request, error.detail)
            return redirect("admin-team-delete", team.name)
        messages.success(
            request, f"Team {name} deleted, with its {grants} grant{'s' if grants != 1 else ''}."
        )
        return redirect("admin-team-list")
    return render(
        request,
        "administration/team_delete.html",
        {"team": team, "effects": services.team_deletion(team)},
    )
