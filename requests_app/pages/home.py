"""The portal's landing page: for a signed-in account, a dashboard of charts per role
(requests_app/pages/dashboard.py) — their certificates and requests; what waits for them as
an approver; the whole portal for an administrator — then the list of CAs."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from certificates.pages.home import public_authorities
from raportal.callers import is_administrator
from requests_app.pages import dashboard


def home(request: HttpRequest) -> HttpResponse:
    context: dict = {"cas": public_authorities()}
    user = request.user
    if user.is_authenticated:
        now = timezone.now()
        context["mine"] = dashboard.requester_charts(user, now)
        # Whether the account approves is the menu's answer (``nav.approver``, computed for
        # every page): the template asks for these charts only then — a callable, which the
        # template calls when it reads it, so no query runs for an account that approves
        # nothing.
        context["approvals"] = lambda: dashboard.approver_charts(user, now)
        if is_administrator(user):
            context["portal"] = dashboard.admin_charts(user, now)
    return render(request, "home.html", context)
