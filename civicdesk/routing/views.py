"""Staff pages of routing: dismissing a duplicate suggestion shown on the case page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicdesk.core.errors import NotFoundError
from civicdesk.routing.models import DuplicateSuggestion
from civicdesk.routing.services import duplicate_dismiss


@login_required
@require_POST
def duplicate_dismiss_view(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = DuplicateSuggestion.objects.select_related("case", "candidate").filter(pk=suggestion_id).first()
    if suggestion is None:
        raise NotFoundError()
    duplicate_dismiss(user=request.user, suggestion=suggestion)
    messages.success(request, _("The suggestion was dismissed: %(reference)s is not suggested again.") % {
        "reference": suggestion.candidate.reference})
    return HttpResponseRedirect(reverse("cases:detail", args=[suggestion.case.reference]) + "#duplicates-heading",
                                status=303)
