"""Admin pages for profiles: the list, the editor with its live preview, clone, enable or
disable, delete (only a profile nothing refers to)."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from administration.pages.access import staff_required
from administration.pages.profile_changes import digest
from administration.pages.profile_editor import ProfileEditor
from administration.pages.profile_sections import DEFAULT_SECTION, SECTIONS, section_named
from administration.services import profiles as services
from certificates.models import Certificate
from profiles.models import Profile
from raportal.errors import DomainError
from requests_app.models import Request, Status
from requests_app.pages.forms import EnrollForm


def _count(rows):
    per_profile = rows.filter(profile=OuterRef("pk")).order_by().values("profile")
    return Coalesce(Subquery(per_profile.annotate(n=Count("pk")).values("n")), 0)


def _profiles():
    return (
        Profile.objects.select_related("ca")
        # Subqueries, not two counted joins: joining certificates and requests at once
        # would multiply their rows (a million certificates times the pending requests).
        .annotate(
            certificate_count=_count(Certificate.objects.all()),
            pending_count=_count(Request.objects.filter(status=Status.PENDING)),
        )
        .order_by("name")
    )


@staff_required
def profile_list(request):
    return render(request, "administration/profile_list.html", {"profiles": _profiles()})


# EST operations a device's configuration names (RFC 7030 §3.2.2), in the order they are used.
EST_OPERATIONS = ("cacerts", "simpleenroll", "simplereenroll", "csrattrs")


def device_urls(profile: Profile | None) -> list[tuple[str, str]]:
    """(label, absolute URL) rows a device is configured with for an EST, SCEP or ACME
    profile, built from RAPORTAL_BASE_URL (the address devices reach the portal at, not the
    one this page was opened with); none for a WebRA profile."""
    if profile is None or profile.module not in ("est", "scep", "acme"):
        return []
    base = settings.RAPORTAL_BASE_URL.rstrip("/")
    if profile.module == "acme":  # RFC 8555 §7.1.1: the directory names every other URL
        return [("ACME directory URL", base + reverse("acme-directory", args=[profile.name]))]
    if profile.module == "scep":
        return [("SCEP URL", base + reverse("scep", args=[profile.name]))]
    root = reverse("est-cacerts", args=[profile.name]).removesuffix("cacerts")
    return [("EST base URL", base + root)] + [
        (operation, base + reverse(f"est-{operation}", args=[profile.name]))
        for operation in EST_OPERATIONS
    ]


def _editor_page(
    request,
    editor: ProfileEditor,
    *,
    title: str,
    profile=None,
    status=200,
    confirmation: dict | None = None,
):
    section = editor.section
    return render(
        request,
        "administration/profile_edit.html",
        {
            "editor": editor,
            "title": title,
            "profile": profile,
            "section": section,
            "sections": SECTIONS,
            "device_urls": device_urls(profile),
            "preview": _preview(request, editor),
            "confirmation": confirmation,
        },
        status=status,
    )


def _saving(request) -> bool:
    return request.method == "POST" and request.POST.get("action") != "preview"


@staff_required
def profile_create(request):
    # ?module=acme opens the page for that module (the menu's "New ACME profile").
    editor = ProfileEditor(request.POST or None, module=request.GET.get("module"))
    if _saving(request) and editor.is_valid():
        profile, _ = services.create_profile(
            request.user, name=editor.form.cleaned_data["name"], source=editor
        )
        messages.success(request, f"Profile {profile.name} created.")
        for warning in editor.form.warnings():
            messages.warning(request, warning)
        return redirect("admin-profile-edit", profile.name)
    status = 400 if _saving(request) else 200
    return _editor_page(request, editor, title="New profile", status=status)


def profile_usage(profile: Profile) -> dict[str, int]:
    """What a change of the profile reaches: its certificates (those still valid among them)
    and its pending requests, which are decided and issued under the new rules."""
    certificates = Certificate.objects.filter(profile=profile)
    return {
        "certificates": certificates.count(),
        "valid": certificates.valid().count(),
        "pending": Request.objects.filter(profile=profile).pending().count(),
    }


@staff_required
def profile_edit(request, name: str):
    """One section of the profile (?section=…, the general one by default) shows and saves
    only its fields; a POST without a section saves the whole profile. A change to a profile
    with certificates or pending requests is saved once confirmed, as summarized."""
    profile = get_object_or_404(Profile, name=name)
    slug = request.GET.get("section") or (None if request.method == "POST" else DEFAULT_SECTION)
    section = section_named(slug)
    editor = ProfileEditor(request.POST or None, instance=profile, section=section)
    confirmation = None
    if _saving(request) and editor.is_valid():
        changes = editor.changes()
        usage = profile_usage(profile) if changes else {}
        token = digest(changes)
        if any(usage.values()) and request.POST.get("confirm") != token:
            confirmation = {"changes": changes, "usage": usage, "token": token}
        else:
            profile, _ = services.update_profile(request.user, profile, source=editor)
            what = f"{section.title} of profile" if section else "Profile"
            messages.success(request, f"{what} {profile.name} saved.")
            for warning in editor.form.warnings():
                messages.warning(request, warning)
            url = reverse("admin-profile-edit", args=[profile.name])
            return redirect(f"{url}?section={section.slug}" if section else url)
    status = 400 if _saving(request) and confirmation is None else 200
    return _editor_page(
        request,
        editor,
        title=f"Profile {profile.name}",
        profile=profile,
        status=status,
        confirmation=confirmation,
    )


class _Rollback(Exception):
    pass


def _preview(request, editor: ProfileEditor) -> dict:
    """The enroll form a requester would see with the editor's current values: a copy of the
    editor is saved in a transaction that is rolled back, and the enroll page's own form and
    template render it (the editor itself stays untouched for the page)."""
    if not editor.form.is_bound:
        if not editor.instance.pk:
            return {"problems": ["Fill in the profile to see its enroll form."]}
        return {"html": _render_enroll_fields(request, editor.instance)}
    if not editor.is_valid():
        return {"problems": editor.errors_summary()}
    instance = Profile.objects.get(pk=editor.instance.pk) if editor.instance.pk else None
    scratch = ProfileEditor(editor.form.data, instance=instance, section=editor.section)
    preview = {}
    try:
        with transaction.atomic():
            if scratch.is_valid():
                preview["html"] = _render_enroll_fields(request, scratch.save())
            raise _Rollback
    except _Rollback:
        pass
    return preview


def _render_enroll_fields(request, profile: Profile) -> str:
    profile = (
        Profile.objects.select_related("ca", "team_default", "password_policy")
        .prefetch_related("subject_rules", "san_rules", "label_rules")
        .get(pk=profile.pk)
    )
    form = EnrollForm(profile, request.user)
    return render(
        request, "administration/profile_preview.html", {"form": form, "profile": profile}
    ).content.decode()


@staff_required
@require_POST
def profile_preview(request, name: str | None = None):
    """The preview alone (the editor's script asks for it as the admin types)."""
    instance = get_object_or_404(Profile, name=name) if name else None
    section = section_named(request.GET.get("section")) if instance else None
    editor = ProfileEditor(request.POST, instance=instance, section=section)
    return render(
        request,
        "administration/profile_preview_pane.html",
        {"preview": _preview(request, editor)},
    )


@staff_required
@require_POST
def profile_clone(request, name: str):
    source = get_object_or_404(Profile, name=name)
    new_name = (request.POST.get("new_name") or "").strip()
    try:
        services.clone_profile(request.user, source, new_name=new_name)
    except DomainError:
        messages.error(
            request,
            f"Choose a new name that no profile has, of letters, digits, '-' and '_' "
            f"(not {new_name[:80]!r}).",
        )
        return redirect("admin-profile-list")
    messages.success(
        request, f"Profile {new_name} created from {name}, disabled until you enable it."
    )
    return redirect("admin-profile-edit", new_name)


@staff_required
@require_POST
def profile_toggle(request, name: str):
    profile = get_object_or_404(Profile, name=name)
    profile = services.set_profile_enabled(request.user, profile, enabled=not profile.enabled)
    state = "enabled" if profile.enabled else "disabled: nobody can request on it"
    messages.success(request, f"Profile {profile.name} {state}.")
    return redirect("admin-profile-list")


@staff_required
@require_POST
def profile_delete(request, name: str):
    profile = get_object_or_404(Profile, name=name)
    try:
        services.delete_profile(request.user, profile)
    except DomainError:
        messages.error(
            request,
            f"Profile {name} has certificates or requests: disable it instead (their history "
            "must stay).",
        )
        return redirect("admin-profile-list")
    messages.success(request, f"Profile {name} deleted.")
    return redirect("admin-profile-list")
