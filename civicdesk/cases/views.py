"""Staff pages over the case services. Thin: parse, call one service or selector, render.

Every action of R4.5 is a form on the case page (civicdesk/cases/forms.py) that posts to
`case_action`; the rest of the workspace (saved views, notifications, HTMX partials) is built
on these in the staff-workspace issue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from civicdesk.accounts.models import Role
from civicdesk.accounts.permissions import ORGANIZATION_READ_ROLES, access_for, service_groups_visible_to
from civicdesk.cases import selectors, services
from civicdesk.cases.forms import ACTION_FORMS, CaseActionForm, QueueFilterForm, action_forms_for
from civicdesk.cases.models import Case
from civicdesk.core.errors import ApplicationError, NotFoundError

PREVIEWABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
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
        "sent_comment_requests": selectors.comment_requests_sent_by(user=request.user, limit=20),
    })


@login_required
@require_GET
def queue_counts(request: HttpRequest) -> HttpResponse:
    """Just the queue-counts table of the home page, for its 30-second HTMX refresh."""
    groups = selectors.queues_for_user(user=request.user)
    return render(request, "cases/home.html#queue-counts", {
        "counts": selectors.queue_counts(user=request.user, groups=groups),
    })


@login_required
@require_GET
def queue(request: HttpRequest, group_id: int) -> HttpResponse:
    group = service_groups_visible_to(request.user).filter(pk=group_id).first()
    if group is None:
        raise NotFoundError()
    return _case_list_page(
        request, title=str(group), filter_form=QueueFilterForm(request.GET or None, group=group, actor=request.user),
        load=lambda **kwargs: selectors.cases_in_queue(user=request.user, service_group=group, **kwargs),
    )


@login_required
@require_GET
def all_cases(request: HttpRequest) -> HttpResponse:
    """Every incoming contact of the advisor's organisation, as one filterable queue (R5).

    Viewers get the same page over the cases of their areas, read-only (R5).
    """
    organization_id, title = _organization_overview_for(request.user)
    if organization_id is None:
        raise NotFoundError()
    return _case_list_page(
        request, title=str(title),
        filter_form=QueueFilterForm(request.GET or None, organization_id=organization_id, actor=request.user),
        load=lambda **kwargs: selectors.cases_of_organization(
            user=request.user, organization_id=organization_id, **kwargs
        ),
    )


def _organization_overview_for(user: Any) -> tuple[int | None, Any]:
    """The organisation whose overview the user gets, and the page's title."""
    access = access_for(user)
    readers = sorted(access.organizations_with_role(*ORGANIZATION_READ_ROLES))
    if readers:
        return readers[0], _("All contacts")
    viewers = sorted(access.organizations_with_role(Role.VIEWER))
    if viewers:
        return viewers[0], _("Cases in my areas")
    return None, ""


def _case_list_page(
    request: HttpRequest, *, title: str, filter_form: QueueFilterForm, load: Callable[..., selectors.CasePage]
) -> HttpResponse:
    status_filter = request.GET.get("filter", "open")
    sort = request.GET.get("sort", "last_activity")
    context: dict[str, Any] = {
        "title": title, "filter_form": filter_form, "filter": status_filter, "sort": sort,
        "filters": [(key, QUEUE_FILTER_LABELS[key]) for key in selectors.QUEUE_FILTERS],
        "sorts": [(key, SORT_LABELS[key]) for key in selectors.SORTS],
    }
    if filter_form.is_bound and not filter_form.is_valid():
        return render(request, "cases/queue.html", {**context, "page": None}, status=400)
    context["page"] = load(
        status_filter=status_filter, sort=sort, page=request.GET.get("page", 1),
        filters=filter_form.to_filters() if filter_form.is_bound else None,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context["query_string"] = query.urlencode()
    return render(request, "cases/queue.html", context)


@login_required
@require_GET
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, reference=reference)
    return _render_case_page(request, case)


def _render_case_page(
    request: HttpRequest, case: Case, *, bound: CaseActionForm | None = None, status: int = 200
) -> HttpResponse:
    services.case_view(user=request.user, case=case)
    detail = selectors.case_detail(case=case)
    return render(request, "cases/detail.html", {
        "case": case,
        "detail": detail,
        "same_customer": selectors.cases_of_same_customer(user=request.user, case=case, limit=10),
        "nearby": selectors.cases_nearby(user=request.user, case=case, limit=10),
        "action_forms": action_forms_for(actor=request.user, case=case, bound=bound,
                                         seen_entry_id=max((e.pk for e in detail.timeline), default=0)),
        "failed_action": bound,
        "previewable_types": PREVIEWABLE_TYPES,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }, status=status)


@login_required
@require_POST
def case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Run one action form; on success back to the case page, else the page with the form's errors."""
    case = selectors.case_get_for_user(user=request.user, reference=reference)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise NotFoundError()
    form = form_class(request.POST, request.FILES, case=case, actor=request.user)
    status = 400
    if form.is_valid():
        try:
            message = form.perform()
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            status = exc.status_code
        else:
            messages.success(request, message)
            return redirect("cases:detail", reference=case.reference)
    case = selectors.case_get_for_user(user=request.user, reference=reference)
    return _render_case_page(request, case, bound=form, status=status)


@login_required
@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = services.attachment_open(user=request.user, attachment_id=attachment_id)
    # Only re-encoded raster images are shown inline (as the case page's previews); everything
    # else is a download, so nothing from outside is ever rendered by the browser as a page.
    inline = request.GET.get("preview") == "1" and attachment.content_type in PREVIEWABLE_TYPES
    response = FileResponse(attachment.file.open("rb"), as_attachment=not inline,
                            filename=attachment.original_name, content_type=attachment.content_type)
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
