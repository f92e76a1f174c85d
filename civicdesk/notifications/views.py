"""Staff pages for notifications and following. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicdesk.cases.selectors import case_get_by_id_for_user
from civicdesk.core.errors import ApplicationError, InvalidInputError
from civicdesk.notifications import selectors, services
from civicdesk.notifications.forms import NotificationSettingsForm


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/list.html", {"page": selectors.notifications_page_for(user=request.user)})


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """The link of a listed notification: marks the case's notifications read and goes to the case."""
    case = services.notification_open(user=request.user, notification_id=notification_id)
    return redirect("cases:detail", reference=case.reference)


@login_required
@require_POST
def notification_mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notification_mark_read(user=request.user, notification_id=notification_id)
    messages.success(request, _("The notification is marked as read."))
    return HttpResponseRedirect(reverse("notifications:list"), status=303)


@login_required
@require_POST
def notifications_mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return HttpResponseRedirect(reverse("notifications:list"), status=303)


@login_required
@require_POST
def case_follow(request: HttpRequest, case_id: int) -> HttpResponse:
    """Follow (`follow=1`) or stop following (`follow=0`) a case; HTMX gets the button back."""
    case = case_get_by_id_for_user(user=request.user, case_id=case_id)
    choice = request.POST.get("follow")
    if choice == "1":
        services.case_follow(user=request.user, case=case)
    elif choice == "0":
        services.case_unfollow(user=request.user, case=case)
    else:
        raise InvalidInputError(_("Choose whether to follow the case."), field="follow")
    if getattr(request, "htmx", False):
        return render(request, "notifications/_follow_button.html", {"case": case, "htmx_answer": True})
    if choice == "1":
        messages.success(request, _("You follow this case now."))
    else:
        messages.success(request, _("You no longer follow this case."))
    back = request.POST.get("next", "")
    if back == "list":
        return HttpResponseRedirect(reverse("notifications:list"), status=303)
    return HttpResponseRedirect(reverse("cases:detail", args=[case.reference]), status=303)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = selectors.notification_settings_for(user=request.user)
    if request.method == "GET":
        return render(request, "notifications/settings.html",
                      {"form": NotificationSettingsForm(current=current)})
    form = NotificationSettingsForm(request.POST, current=current)
    status = 400
    if form.is_valid():
        try:
            services.notification_settings_save(
                user=request.user, deliveries=form.deliveries(), email_interval=form.cleaned_data["email_interval"]
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            status = exc.status_code
        else:
            messages.success(request, _("Your notification settings are saved."))
            return HttpResponseRedirect(reverse("notifications:settings"), status=303)
    return render(request, "notifications/settings.html", {"form": form}, status=status)
