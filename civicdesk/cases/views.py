"""Staff pages over the case services. Thin: parse, call one service or selector, render.

Every action of R4.5 is a form on the case page (civicdesk/cases/forms.py) that posts to
`case_action`; the rest of the workspace (saved views, notifications, HTMX partials) is built
on these in the staff-workspace issue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from civicdesk.accounts.permissions import service_group_visible_to
from civicdesk.cases import permissions as policy
from civicdesk.cases import selectors, services
from civicdesk.cases.forms import (
    ACTION_FORMS,
    BULK_ACTION_LABELS,
    BlankQueueFilter,
    BulkActionForm,
    CaseActionForm,
    QueueFilterForm,
    action_forms_for,
    list_query_clean,
    list_query_normalised,
    queue_filter_form,
)
from civicdesk.cases.models import Case, SavedView
from civicdesk.core.errors import ActionNotAllowedError, ApplicationError, InvalidInputError, NotFoundError
from civicdesk.organizations.models import ServiceGroup

PREVIEWABLE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
QUEUE_FILTER_LABELS = {
    "open": _("Open"), "new": _("New"), "waiting": _("Waiting for customer"), "overdue": _("Overdue"),
    "closed": _("Closed"), "all": _("All"),
}
SORT_LABELS = {
    "last_activity": _("Last activity"), "due": _("Due"), "created": _("Created"), "priority": _("Priority"),
}
# The outcome of a bulk action, kept in the session for the list page it redirects to.
BULK_RESULT_SESSION_KEY = "cases.bulk_result"
BULK_SUMMARY_MAX_FAILURES = 10


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    groups = selectors.queues_for_user(user=request.user)
    return render(request, "cases/home.html", {
        "counts": selectors.queue_counts(user=request.user, groups=groups),
        "my_cases": selectors.cases_handled_by(user=request.user, limit=20),
        "comment_requests": selectors.comment_requests_waiting_for(user=request.user, limit=20),
        "sent_comment_requests": selectors.comment_requests_sent_by(user=request.user, limit=20),
        "saved_views": selectors.saved_views_of(user=request.user),
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
    group = service_group_visible_to(request.user, group_id)
    if group is None:
        raise NotFoundError()
    return _case_list_page(
        request, title=str(group), filter_form=queue_filter_form(request.GET, group=group, actor=request.user),
        load=lambda **kwargs: selectors.cases_in_queue(user=request.user, service_group=group, **kwargs),
        group=group,
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
        filter_form=queue_filter_form(request.GET, organization_id=organization_id, actor=request.user),
        load=lambda **kwargs: selectors.cases_of_organization(
            user=request.user, organization_id=organization_id, **kwargs
        ),
        organization_id=organization_id,
    )


def _organization_overview_for(user: Any) -> tuple[int | None, Any]:
    """The organisation whose overview the user gets, and the page's title."""
    organization_id, areas_only = policy.organization_overview_for(user)
    return organization_id, _("Cases in my areas") if areas_only else _("All contacts")


def _case_list_page(
    request: HttpRequest,
    *,
    title: str,
    filter_form: QueueFilterForm | BlankQueueFilter,
    load: Callable[..., selectors.CasePage],
    group: ServiceGroup | None = None,
    organization_id: int | None = None,
) -> HttpResponse:
    """A list of cases: a group's queue (`group`) or the organisation's contacts (`organization_id`).

    Besides the filtered page it shows the user's saved views (1 query), the form that saves the
    current filters, the action bar for bulk actions if the user has any here (2 queries for its
    choices), and the result of the bulk action that redirected here.
    """
    status_filter = request.GET.get("filter", "open")
    sort = request.GET.get("sort", "last_activity")
    if group is not None:
        organization_id = group.organization_id
    saved_views = selectors.saved_views_of(user=request.user)
    bulk_result = request.session.pop(BULK_RESULT_SESSION_KEY, None)
    context: dict[str, Any] = {
        "title": title, "filter_form": filter_form, "filter": status_filter, "sort": sort,
        "filters": [(key, QUEUE_FILTER_LABELS[key]) for key in selectors.QUEUE_FILTERS],
        "sorts": [(key, SORT_LABELS[key]) for key in selectors.SORTS],
        "saved_views": saved_views, "list_group": group, "list_organization_id": organization_id,
        # Shown only on the list the action was sent from.
        "bulk_result": bulk_result if bulk_result and bulk_result.get("path") == request.path else None,
    }
    form = filter_form if isinstance(filter_form, QueueFilterForm) and filter_form.is_bound else None
    if form is not None and not form.is_valid():
        return render(request, "cases/queue.html", {**context, "page": None}, status=400)
    context["page"] = load(
        status_filter=status_filter, sort=sort, page=request.GET.get("page", 1),
        filters=form.to_filters() if form is not None else None,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context["query_string"] = query.urlencode()
    if organization_id is not None:
        current = list_query_normalised(request.GET)
        context["saved_view_query"] = urlencode(current)
        group_id = group.pk if group is not None else None
        context["current_saved_view_id"] = next(
            (view.pk for view in saved_views
             if view.organization_id == organization_id and view.service_group_id == group_id
             and view.query == current),
            None,
        )
        if context["page"].cases and policy.bulk_actions_in(request.user, organization_id):
            context["bulk_form"] = BulkActionForm(
                actor=request.user, organization_id=organization_id, group=group, pickers=filter_form.pickers
            )
            context["bulk_url"] = (
                reverse("cases:queue_bulk", args=[group.pk]) if group is not None else reverse("cases:all_bulk")
            )
            context["bulk_limit"] = services.BULK_MAX_CASES
    return render(request, "cases/queue.html", context)


@login_required
@require_GET
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    case = selectors.case_get_for_user(user=request.user, reference=reference, for_page=True)
    return _render_case_page(request, case)


def _render_case_page(
    request: HttpRequest, case: Case, *, bound: CaseActionForm | None = None, status: int = 200
) -> HttpResponse:
    services.case_view(user=request.user, case=case)
    detail = selectors.case_detail(case=case)
    same_customer, nearby = selectors.cases_related_for_page(
        user=request.user, case=case, limit=10, category_ids=[category.pk for category in detail.categories]
    )
    return render(request, "cases/detail.html", {
        "case": case,
        "detail": detail,
        "same_customer": same_customer,
        "nearby": nearby,
        "action_forms": action_forms_for(actor=request.user, case=case, bound=bound,
                                         seen_entry_id=max((e.pk for e in detail.timeline), default=0),
                                         detail=detail, blank_stand_ins=True),
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
    case = selectors.case_get_for_user(user=request.user, reference=reference, for_page=True)
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


# --- saved views and bulk actions (staff workspace) -----------------------------------------


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """The posted `next` address if it stays on this site, else `fallback`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _form_refused(request: HttpRequest, *, title: Any, errors: list[str], back: str) -> HttpResponse:
    """A small 400 page for a list's forms (save a view, bulk action): what was wrong and the way back."""
    return render(request, "cases/form_refused.html", {"title": title, "errors": errors, "back": back}, status=400)


def _saved_view_list_url(view: SavedView) -> str:
    if view.service_group_id is not None:
        return reverse("cases:queue", args=[view.service_group_id])
    return reverse("cases:all")


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the list being shown under a name: its filters and sort order come as `query`."""
    group: ServiceGroup | None = None
    organization_id: int | None = None
    group_id = request.POST.get("group", "")
    if group_id:
        if not (group_id.isascii() and group_id.isdigit() and len(group_id) <= 18):
            raise NotFoundError()
        group = service_group_visible_to(request.user, int(group_id))
        if group is None:
            raise NotFoundError()
        fallback = reverse("cases:queue", args=[group.pk])
    else:
        organization_id, _title = _organization_overview_for(request.user)
        if organization_id is None:
            raise NotFoundError()
        fallback = reverse("cases:all")
    back = _safe_next(request, fallback)
    raw_query = request.POST.get("query", "")
    try:
        if len(raw_query) > services.SAVED_VIEW_QUERY_MAX_CHARS:
            raise InvalidInputError(_("The filters are too long to save."), field="query")
        view = services.saved_view_create(
            user=request.user, name=request.POST.get("name", ""), query=QueryDict(raw_query),
            service_group=group, organization_id=organization_id,
        )
    except InvalidInputError as exc:
        return _form_refused(request, title=_("The view was not saved"), errors=[str(exc.message)], back=back)
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
    return redirect(back)


@login_required
@require_GET
def saved_view_open(request: HttpRequest, view_id: int) -> HttpResponse:
    """Open one of the user's saved views: its list with the filters still valid; a notice names the others."""
    view = selectors.saved_view_get_for_user(user=request.user, view_id=view_id)
    organization_id = view.organization_id
    if view.service_group_id is None:
        # The list of all contacts shows one organisation; filters of another would not apply there.
        organization_id = _organization_overview_for(request.user)[0] or organization_id
    params, dropped = list_query_clean(
        view.query, actor=request.user, group=view.service_group, organization_id=organization_id
    )
    if dropped:
        messages.warning(request, _(
            "Some filters of the view “%(name)s” are no longer available and were left out: %(filters)s."
        ) % {"name": view.name, "filters": ", ".join(dropped)})
    url = _saved_view_list_url(view)
    return redirect(f"{url}?{urlencode(params)}" if params else url)


@login_required
@require_POST
def saved_view_rename(request: HttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_get_for_user(user=request.user, view_id=view_id)
    back = _safe_next(request, reverse("cases:home"))
    try:
        view = services.saved_view_rename(user=request.user, saved_view=view, name=request.POST.get("name", ""))
    except InvalidInputError as exc:
        return _form_refused(request, title=_("The view was not renamed"), errors=[str(exc.message)], back=back)
    messages.success(request, _("The view was renamed “%(name)s”.") % {"name": view.name})
    return redirect(back)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_get_for_user(user=request.user, view_id=view_id)
    back = _safe_next(request, reverse("cases:home"))
    services.saved_view_delete(user=request.user, saved_view=view)
    messages.success(request, _("The view “%(name)s” was deleted.") % {"name": view.name})
    return redirect(back)


@login_required
@require_POST
def queue_bulk_action(request: HttpRequest, group_id: int) -> HttpResponse:
    """The action bar of a group's queue: one action on the ticked cases, then back to the same list."""
    group = service_group_visible_to(request.user, group_id)
    if group is None or not policy.can_view_queue(request.user, group):
        raise NotFoundError()
    return _bulk_action(request, organization_id=group.organization_id, group=group,
                        fallback=reverse("cases:queue", args=[group.pk]))


@login_required
@require_POST
def all_cases_bulk_action(request: HttpRequest) -> HttpResponse:
    """The action bar of the list of all contacts."""
    organization_id, _title = _organization_overview_for(request.user)
    if organization_id is None:
        raise NotFoundError()
    return _bulk_action(request, organization_id=organization_id, group=None, fallback=reverse("cases:all"))


def _bulk_action(
    request: HttpRequest, *, organization_id: int, group: ServiceGroup | None, fallback: str
) -> HttpResponse:
    form = BulkActionForm(request.POST, actor=request.user, organization_id=organization_id, group=group)
    if not form.actions:
        raise ActionNotAllowedError()
    back = _safe_next(request, fallback)
    if not form.is_valid():
        errors = [str(error) for error in form.non_field_errors()]
        errors += [
            f"{form.fields[name].label}: {error}"
            for name, field_errors in form.errors.items() if name in form.fields
            for error in field_errors
        ]
        return _form_refused(request, title=_("Nothing was done"), errors=errors, back=back)
    try:
        result = form.perform()
    except InvalidInputError as exc:
        return _form_refused(request, title=_("Nothing was done"), errors=[str(exc.message)], back=back)
    request.session[BULK_RESULT_SESSION_KEY] = {
        "path": urlsplit(back).path,
        "action": str(BULK_ACTION_LABELS[form.cleaned_data["action"]]),
        "done": list(result.succeeded),
        "failed": [{"label": failure.label, "reason": failure.reason} for failure in result.failed],
    }
    messages.add_message(request, messages.WARNING if result.failed else messages.SUCCESS, _bulk_summary(result))
    return redirect(back)


def _bulk_summary(result: services.BulkResult) -> str:
    """ "N done, M could not be done: <ref>: <reason> …" (at most BULK_SUMMARY_MAX_FAILURES named)."""
    done = len(result.succeeded)
    done_text = ngettext("%(count)d case done", "%(count)d cases done", done) % {"count": done}
    if not result.failed:
        return f"{done_text}."
    failed = len(result.failed)
    details = " ".join(f"{f.label}: {f.reason}" for f in result.failed[:BULK_SUMMARY_MAX_FAILURES])
    if failed > BULK_SUMMARY_MAX_FAILURES:
        rest = failed - BULK_SUMMARY_MAX_FAILURES
        details += " " + ngettext("… and %(count)d more.", "… and %(count)d more.", rest) % {"count": rest}
    return str(_("%(done)s, %(failed)s: %(details)s") % {
        "done": done_text,
        "failed": ngettext("%(count)d could not be done", "%(count)d could not be done", failed) % {"count": failed},
        "details": details,
    })
