"""The portal's landing page: for a signed-in account, a dashboard of charts per role
(requests_app/pages/dashboard.py) — their certificates and requests; what waits for them as
an approver; the whole portal for an administrator — then the list of CAs."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from certificates.pages.home import public_authorities
from raportal.callers import is_administrator
from requests_app.approvals.views import MENU_COUNT
from requests_app.navigation import menu_rights
from requests_app.pages import dashboard
from requests_app.pages.dashboard_cache import cached


def home(request: HttpRequest) -> HttpResponse:
    context: dict = {"cas": public_authorities()}
    user = request.user
    if user.is_authenticated:
        now = timezone.now()
        context["mine"] = cached(user, "mine", lambda: dashboard.requester_charts(user, now))
        # Whether the account approves is the menu's answer (read once per request): no
        # approval query runs for an account that approves nothing. The queue chart counts
        # what waits for the approver, which the menu's badge then shows without counting it
        # again.
        if menu_rights(request)["approver"]:
            context["approvals"], waiting = cached(
                user, "approvals", lambda: dashboard.approver_charts(user, now)
            )
            setattr(request, MENU_COUNT, waiting)
        if is_administrator(user):
            context["portal"] = cached(user, "portal", lambda: dashboard.admin_charts(user, now))
    return render(request, "home.html", context)
