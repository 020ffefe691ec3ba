"""The certificate page's "Triggers" panel (a page part: certificates/extensions.py) and its
"Run again" button, over the service of Horizon's ``certificate.run``
(certificates/trigger_api.py): whoever may see the certificate sees its runs; who may run
them again (an administrator, perform for the event's workflow) sees the button and the
runs' details."""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from certificates.extensions import CertificateExtension, PagePart, register
from certificates.models import Certificate
from certificates.pages.views import visible_certificate
from certificates.trigger_runs import may_rerun_certificate_trigger, rerun_certificate_trigger
from triggers.models import TriggerRun
from triggers.panel import panel_rows, rerun_from_page


def page_parts(user, certificate: Certificate) -> list[PagePart]:
    runs = TriggerRun.objects.of_certificate(certificate.pk)
    rows = panel_rows(
        runs, cache(lambda event: may_rerun_certificate_trigger(user, certificate, event))
    )
    if not rows:
        return []
    context = {
        "trigger_rows": rows,
        "trigger_run_url": reverse("certificate-trigger-run", args=[certificate.pk]),
        "trigger_object": "certificate",
    }
    return [PagePart("side", "triggers/panel.html", context)]


def register_panel() -> None:
    register(CertificateExtension(name="triggers", page=page_parts))


@login_required
@require_POST
def certificate_trigger_run(request, certificate_id):
    """Runs a failed trigger of the certificate again; 404 to who may not see it, 403 to who
    may see it but not run it."""
    certificate = visible_certificate(request.user, certificate_id)
    rerun_from_page(
        request,
        lambda name, event: rerun_certificate_trigger(request.user, certificate, name, event),
    )
    return redirect("certificate-detail", certificate.pk)
