"""The label catalogue: list, create, edit, delete (refused while a profile's label rule
uses the label)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from administration.pages.access import staff_required
from administration.pages.directory_forms import check_not_reserved
from administration.pages.listing import SearchQuery, search_page
from administration.services import labels as services
from profiles.models import Label
from raportal import identifiers
from raportal.errors import DomainError
from raportal.query_strings import reads_query

PAGE_SIZE = 50


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "display_name", "description"]
        help_texts = {
            "name": "Letters, digits, - and _: how profiles' label rules and requests name it.",
            "display_name": "What the pages show (the name when empty).",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = check_not_reserved(self.cleaned_data["name"])
        old = self.instance.name if self.instance.pk else None
        if old and name != old:
            users = services.profiles_using_label(old)
            if users:
                raise forms.ValidationError(
                    "Profiles' label rules use this name, so it cannot change: "
                    + ", ".join(p.name for p in users)
                    + "."
                )
        return name


@staff_required
@reads_query(SearchQuery)
def label_list(request, query: SearchQuery):
    return search_page(
        request,
        query,
        Label.objects.order_by("name"),
        ("name", "display_name", "description"),
        PAGE_SIZE,
        "administration/labels.html",
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def label_create(request):
    return _label_form(request, Label())


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def label_edit(request, name: str):
    return _label_form(request, get_object_or_404(Label, name=name))


def _label_form(request, label: Label):
    created = label.pk is None
    form = LabelForm(request.POST or None, instance=label)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        texts = {"display_name": data["display_name"], "description": data["description"]}
        try:
            if created:
                label = services.create_label(request.user, name=data["name"], **texts)
            else:
                label = services.update_label(request.user, label, name=data["name"], **texts)
        except DomainError as error:
            messages.error(request, error.detail)
            return redirect("admin-label-list")
        messages.success(
            request, identifiers.saved_message("Label", "admin-label-edit", label, created)
        )
        return redirect("admin-label-list")
    return render(
        request,
        "administration/label_form.html",
        {
            "form": form,
            "label": label,
            "created": created,
            "used_by": [] if created else services.profiles_using_label(label.name),
        },
    )


@staff_required
@require_http_methods(["POST"])
def label_delete(request, name: str):
    label = get_object_or_404(Label, name=name)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick “Yes, delete this label” to confirm, then delete.")
        return redirect("admin-label-edit", name)
    try:
        services.delete_label(request.user, label)
    except services.LabelInUse as in_use:
        messages.error(
            request,
            f"Label {name} not deleted: the label rules of these profiles use it: "
            f"{', '.join(p.name for p in in_use.profiles)}. Remove those rules first.",
        )
        return redirect("admin-label-edit", name)
    messages.success(request, f"Label {name} deleted.")
    return redirect("admin-label-list")
