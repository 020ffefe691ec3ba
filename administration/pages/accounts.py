"""Local accounts: the list, one account's page (its API keys, activation), a new API key
(shown once), a new web password."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from administration.pages.access import staff_required
from administration.pages.listing import SearchQuery, search_page
from administration.services import accounts, api_keys
from administration.services.checks import require_may_manage
from raportal.errors import DomainError
from raportal.models import ApiCredential
from raportal.query_strings import reads_query

PAGE_SIZE = 25


class ApiKeyForm(forms.Form):
    description = forms.CharField(
        label="Name",
        max_length=200,
        help_text="What uses the key: a script, a server, a pipeline…",
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the key stops working that day at 00:00 UTC. Empty: never.",
    )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day <= timezone.now().date():
            raise forms.ValidationError("Choose a day after today.")
        return day

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data["expires_on"]
        return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) if day else None


def no_store(response):
    """A page that shows a key or takes a password is never cached."""
    response["Cache-Control"] = "no-store"
    return response


def _sentence(error: DomainError) -> str:
    """A service's refusal as the pages word their messages."""
    detail = error.detail
    return detail[:1].upper() + detail[1:] + ("" if detail.endswith(".") else ".")


def key_state(credential: ApiCredential, now: dt.datetime) -> str:
    if not credential.enabled:
        return "revoked"
    if credential.expires_at is not None and credential.expires_at <= now:
        return "expired"
    return "valid"


@staff_required
@reads_query(SearchQuery)
def account_list(request, query: SearchQuery):
    accounts = get_user_model().objects.annotate(
        key_count=Count("api_credentials"), key_last_used=Max("api_credentials__last_used_at")
    )
    return search_page(
        request,
        query,
        accounts.order_by("username"),
        ("username", "first_name", "last_name", "email"),
        PAGE_SIZE,
        "administration/accounts.html",
    )


def _account(user_id: int):
    return get_object_or_404(get_user_model(), pk=user_id)


def _may_manage(actor, account) -> bool:
    try:
        require_may_manage(actor, account)
    except DomainError:
        return False
    return True


def _account_page(request, account, key_form=None):
    now = timezone.now()
    keys = account.api_credentials.order_by("-created_at")
    return render(
        request,
        "administration/account_detail.html",
        {
            "account": account,
            "keys": [(key, key_state(key, now)) for key in keys],
            "teams": account.rap_teams.order_by("name"),
            "key_form": key_form or ApiKeyForm(),
            "may_manage": _may_manage(request.user, account),
        },
    )


@staff_required
def account_detail(request, user_id: int):
    return _account_page(request, _account(user_id))


@staff_required
@require_POST
@sensitive_variables("key")
def key_create(request, user_id: int):
    """The new key is on the answer to this POST and nowhere else: only its hash is kept."""
    account = _account(user_id)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _account_page(request, account, key_form=form)
    try:
        credential, key = api_keys.create_api_key(
            request.user,
            account,
            description=form.cleaned_data["description"],
            expires_at=form.expires_at(),
        )
    except DomainError as refusal:
        messages.error(request, _sentence(refusal))
        return redirect("admin-account-detail", account.pk)
    return no_store(
        render(
            request,
            "administration/account_key.html",
            {"account": account, "credential": credential, "api_key": key},
        )
    )


@staff_required
@require_POST
def key_revoke(request, user_id: int, key_id: int):
    account = _account(user_id)
    credential = get_object_or_404(ApiCredential, pk=key_id, user=account)
    try:
        api_keys.revoke_api_key(request.user, credential)
    except DomainError as refusal:
        messages.error(request, _sentence(refusal))
    else:
        messages.success(request, f"API key {credential.api_id} revoked: it no longer works.")
    return redirect("admin-account-detail", account.pk)


@staff_required
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "HEAD", "POST"])
def password(request, user_id: int):
    account = _account(user_id)
    # One's own password needs the current one (a borrowed session must not lock its owner
    # out); another account's is set by the administrator.
    form_class = PasswordChangeForm if account.pk == request.user.pk else SetPasswordForm
    form = form_class(account, request.POST or None)
    may_manage = _may_manage(request.user, account)
    if request.method == "POST" and may_manage and form.is_valid():
        accounts.set_password(request.user, account, password=form.cleaned_data["new_password1"])
        if account.pk == request.user.pk:
            update_session_auth_hash(request, account)  # stay signed in here
        messages.success(request, f"New password set for {account.get_username()}.")
        return redirect("admin-account-detail", account.pk)
    return no_store(
        render(
            request,
            "administration/account_password.html",
            {"account": account, "form": form, "may_manage": may_manage},
            status=403 if request.method == "POST" and not may_manage else 200,
        )
    )


@staff_required
@require_POST
def set_active(request, user_id: int):
    account = _account(user_id)
    active = request.POST.get("active") == "1"
    try:
        accounts.set_active(request.user, account, active=active)
    except DomainError as refusal:
        messages.error(request, _sentence(refusal))
    else:
        word = "activated: it may sign in" if active else "deactivated: it can no longer sign in"
        messages.success(request, f"Account {account.get_username()} {word}.")
    return redirect("admin-account-detail", account.pk)
