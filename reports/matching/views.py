"""Staff pages: the hash lists, an import with its progress bar, export, item review.

Only child-safety analysts and supervisors (``selectors.may_manage_lists``); anyone else
gets 404, like a missing list (STYLE.md rule 3).
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.audit.access import audited
from portal.audit.models import Action
from portal.audit.services import access_event_record
from reports.matching import formats, selectors
from reports.matching.models import ImportJob
from reports.matching.services import hash_list_ensure, hash_list_export, item_review
from reports.matching.tasks import import_job_queue

MAX_UPLOAD = 2 * 1024**3  # 10 million PDQ rows in CSV are about 800 MB


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Hash file"))
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            ("auto", gettext_lazy("by extension")),
            ("csv", "CSV"),
            ("jsonl", gettext_lazy("JSON lines")),
            ("hma", gettext_lazy("hasher-matcher-actioner file")),
        ],
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Remove entries the file no longer has"), required=False
    )


class ListForm(forms.Form):
    name = forms.SlugField(label=gettext_lazy("Name"), max_length=64)
    source = forms.CharField(label=gettext_lazy("Source"), max_length=200, required=False)
    version = forms.CharField(label=gettext_lazy("Version"), max_length=64, required=False)
    labels = forms.CharField(
        label=gettext_lazy("Labels"), required=False, help_text=gettext_lazy("e.g. A1,A2,B1,B2")
    )
    pdq_threshold = forms.IntegerField(
        label=gettext_lazy("PDQ distance threshold"), min_value=0, max_value=64, initial=31
    )
    review_only = forms.BooleanField(
        label=gettext_lazy("Hits go to review instead of blocking"), required=False
    )


def _gate(request: HttpRequest) -> None:
    if not selectors.may_manage_lists(request.user):
        raise Http404


@audited(Action.LIST, object_type="matching.hashlist")
@require_http_methods(["GET", "POST"])
def hash_lists(request: HttpRequest) -> HttpResponse:
    _gate(request)
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hash_list, _created = hash_list_ensure(
                name=data["name"],
                actor=request.user,  # type: ignore[arg-type]
                source=data["source"],
                version=data["version"],
                labels=[x.strip() for x in data["labels"].split(",") if x.strip()],
                pdq_threshold=data["pdq_threshold"],
                review_only=data["review_only"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("matching:list", name=hash_list.name)
    lists = selectors.hash_lists_for(request.user)
    return render(request, "matching/lists.html", {"lists": lists, "form": form})


@audited(Action.VIEW, object_type="matching.hashlist")
@require_http_methods(["GET", "POST"])
def hash_list_detail(request: HttpRequest, name: str) -> HttpResponse:
    _gate(request)
    hash_list = get_object_or_404(selectors.hash_lists_for(request.user), name=name)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 2 GB."))
        else:
            with transaction.atomic():
                job = ImportJob(
                    hash_list=hash_list,
                    file_name=upload.name[:200],
                    file_format=form.cleaned_data["file_format"],
                    replace=form.cleaned_data["replace"],
                    bytes_total=upload.size,
                    created_by=request.user,  # type: ignore[misc]  # signed in (the gate)
                )
                job.file.save(upload.name, upload, save=False)
                job.save()
                access_event_record(
                    action="hash_list_import_queued",
                    request=request,
                    obj=hash_list,
                    details={"job": job.pk, "bytes": upload.size},
                )
                import_job_queue(job=job)
            messages.success(request, _("Import queued; its progress shows below."))
            return redirect("matching:list", name=hash_list.name)
    context: dict[str, Any] = {
        "hash_list": hash_list,
        "form": form,
        "jobs": selectors.import_jobs_for(request.user, hash_list)[:10],
        "counts": {
            row["hash_type"]: row["n"]
            for row in hash_list.entries.values("hash_type").annotate(n=Count("id"))
        },
        "formats": formats.FORMATS,
    }
    return render(request, "matching/list.html", context)


@audited(Action.VIEW, object_type="matching.importjob")
@require_GET
def import_progress(request: HttpRequest, job_id: int) -> JsonResponse:
    """The progress bar's poll: status and percent of one import job."""
    _gate(request)
    job = get_object_or_404(ImportJob, pk=job_id)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": str(job.get_status_display()),
            "percent": job.percent,
            "added": job.added,
            "kept": job.kept,
            "refused": job.refused,
        }
    )


@audited(Action.EXPORT, object_type="matching.hashlist")
@require_GET
def hash_list_download(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    _gate(request)
    hash_list = get_object_or_404(selectors.hash_lists_for(request.user), name=name)
    if fmt not in formats.FORMATS:
        raise Http404
    out = io.StringIO()
    hash_list_export(
        hash_list=hash_list,
        out=out,
        file_format=fmt,
        actor=request.user,  # type: ignore[arg-type]
    )
    extension = {"csv": "csv", "jsonl": "jsonl", "hma": "txt"}[fmt]
    response = HttpResponse(out.getvalue(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{hash_list.name}.{extension}"'
    return response


@audited(Action.UPDATE, object_type="matching.matcheditem")
@require_POST
def item_review_view(request: HttpRequest, item_id: int) -> HttpResponse:
    _gate(request)
    item = get_object_or_404(selectors.matched_items_for(request.user), pk=item_id)
    confirmed = request.POST.get("decision") == "confirm"
    try:
        item_review(
            item=item,
            actor=request.user,  # type: ignore[arg-type]
            confirmed=confirmed,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Confirmed.") if confirmed else _("Marked a false positive; allow-listed.")
        )
    if item.case is not None:
        return redirect("cases:detail", item.case.reference)
    return redirect("matching:lists")
