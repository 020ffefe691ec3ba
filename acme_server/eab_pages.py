"""/manage/acme/…: the ACME profiles, each one's External Account Binding keys (list, new —
its HMAC key shown once, with the certbot command that uses it — and delete) and its ACME
accounts (list, deactivate). Staff only, as every page under /manage/."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from acme_server import account_admin as services
from administration.pages.access import staff_required
from profiles.models import Module, Profile, Team
from raportal.errors import DomainError

PAGE_SIZE = 50


def _profile(name: str) -> Profile:
    return get_object_or_404(Profile, name=name, module=Module.ACME)


def _sentence(error: DomainError) -> str:
    detail = error.detail
    return detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        extra = " · ".join(part for part in (obj.get_full_name(), obj.email) if part)
        return f"{obj.get_username()} ({extra})" if extra else obj.get_username()


class EabKeyForm(forms.Form):
    """Who the key is for: a user or a team, exactly one (its account then acts as them)."""

    user = UserChoice(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label="—",
        help_text="The account made with the key acts as this user: their grants on the "
        "profile decide, their name is on the requests and certificates.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="—",
        help_text="Or: the account acts for this team, with the team's grants on the profile.",
    )
    comment = forms.CharField(
        max_length=200,
        required=False,
        help_text="What uses the key: a server, a cluster, a pipeline…",
    )

    def clean(self):
        data = super().clean()
        assert data is not None, "Form.clean returns cleaned_data"
        if data.get("user") and data.get("team"):
            raise forms.ValidationError(
                "Choose a user or a team, not both: an EAB key binds one account to one of them."
            )
        if not data.get("user") and not data.get("team") and not self.errors:
            raise forms.ValidationError("Choose the user or the team the key is for.")
        return data


@staff_required
def acme_home(request):
    profiles = services.acme_profiles().annotate(
        key_count=Count("acme_eab_keys", distinct=True),
        account_count=Count("acme_accounts", distinct=True),
    )
    rows = [(profile, services.directory_url(profile)) for profile in profiles]
    return render(request, "acme_server/admin_home.html", {"rows": rows})


@staff_required
def eab_list(request, name: str):
    profile = _profile(name)
    page = Paginator(services.eab_keys(profile), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "acme_server/eab_list.html",
        {"profile": profile, "page": page, "directory_url": services.directory_url(profile)},
    )


@staff_required
@never_cache
@sensitive_variables("hmac_key", "command")
@require_http_methods(["GET", "HEAD", "POST"])
def eab_create(request, name: str):
    """The HMAC key is on the answer to this POST and nowhere else: only the sealed key is
    kept, never logged, never shown again."""
    profile = _profile(name)
    form = EabKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            key, hmac_key = services.create_key(
                request.user,
                profile,
                user=data["user"],
                team=data["team"],
                comment=data["comment"],
            )
        except DomainError as refusal:
            form.add_error(None, _sentence(refusal))
        else:
            command = services.certbot_command(profile, key.kid, hmac_key)
            response = render(
                request,
                "acme_server/eab_created.html",
                {
                    "profile": profile,
                    "key": key,
                    "hmac_key": hmac_key,
                    "command": command,
                    "directory_url": services.directory_url(profile),
                },
            )
            response["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    return render(
        request, "acme_server/eab_form.html", {"profile": profile, "form": form}, status=status
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def eab_delete(request, name: str, kid: str):
    profile = _profile(name)
    key = get_object_or_404(services.eab_keys(profile), kid=kid)
    if request.method == "POST":
        if not request.POST.get("confirm"):
            messages.error(request, "Tick “Yes, delete this key” to confirm, then delete.")
            return redirect("acme-admin-eab-delete", profile.name, key.kid)
        services.delete_key(request.user, key)
        messages.success(request, f"EAB key {kid} deleted: no new account can be made with it.")
        return redirect("acme-admin-eab-list", profile.name)
    return render(request, "acme_server/eab_delete.html", {"profile": profile, "key": key})


@staff_required
def account_list(request, name: str):
    profile = _profile(name)
    page = Paginator(services.accounts_of(profile), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "acme_server/account_list.html", {"profile": profile, "page": page})


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_deactivate(request, name: str, account_id: int):
    profile = _profile(name)
    account = get_object_or_404(services.accounts_of(profile), pk=account_id)
    if request.method == "POST":
        if not request.POST.get("confirm"):
            messages.error(request, "Tick “Yes, deactivate this account” to confirm.")
            return redirect("acme-admin-account-deactivate", profile.name, account.pk)
        try:
            services.deactivate_account(request.user, account)
        except DomainError as refusal:
            messages.error(request, _sentence(refusal))
        else:
            messages.success(
                request, f"ACME account {account.pk} deactivated: its key is refused from now on."
            )
        return redirect("acme-admin-account-list", profile.name)
    return render(
        request, "acme_server/account_deactivate.html", {"profile": profile, "account": account}
    )
