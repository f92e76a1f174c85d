"""Staff pages over the case services. Thin: parse, call one service or selector, render.

The full workspace (actions as forms, saved views, notifications) is built on these in the
staff-workspace issue; these pages already respect the permission policy and the audit log.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from civicdesk.accounts.permissions import service_groups_visible_to
from civicdesk.cases import selectors, services
from civicdesk.core.errors import NotFoundError

QUEUE_FILTER_LABELS = {
    "open": _("Open"), "new": _("New"), "waiting": _("Waiting for customer"), "overdue": _("Overdue"),
    "closed": _("Closed"), "all": _("All"),
}
SORT_LABELS = {
    "last_activity": _("Last activity"), "due": _("Due"), "created": _("Created"), "priority": _("Priority"),
}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    groups = selectors.queues_for_user(user=request.user)
    return render(request, "cases/home.html", {
        "counts": selectors.queue_counts(user=request.user, groups=groups),
        "my_cases": selectors.cases_handled_by(user=request.user, limit=20),
        "comment_requests": selectors.comment_requests_waiting_for(user=request.user, limit=20),
    })


@login_required
@require_GET
def queue(request: HttpRequest, group_id: int) -> HttpResponse:
    group = service_groups_visible_to(request.user).filter(pk=group_id).first()
    if group is None:
        raise NotFoundError()
    status_filter = request.GET.get("filter", "open")
    sort = request.GET.get("sort", "last_activity")
    page = selectors.cases_in_queue(user=request.user, service_group=group, status_filter=status_filter, sort=sort,
                                    page=request.GET.get("page", 1))
    return render(request, "cases/queue.html", {
        "group": group, "page": page, "filter": status_filter, "sort": sort,
        "filters": [(key, QUEUE_FILTER_LABELS[key]) for key in selectors.QUEUE_FILTERS],
        "sorts": [(key, SORT_LABELS[key]) for key in selectors.SORTS],
    })


@login_required
@require_GET
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, reference=reference)
    services.case_view(user=request.user, case=case)
    return render(request, "cases/detail.html", {
        "case": case,
        "detail": selectors.case_detail(case=case),
        "same_customer": selectors.cases_of_same_customer(user=request.user, case=case, limit=10),
        "nearby": selectors.cases_nearby(user=request.user, case=case, limit=10),
    })


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = services.attachment_open(user=request.user, attachment_id=attachment_id)
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = services.cases_search_logged(user=request.user, query=query, language=request.LANGUAGE_CODE)
    return render(request, "cases/search.html", {"query": query, "results": results})
