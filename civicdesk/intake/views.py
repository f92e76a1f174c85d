"""Staff pages of the email channel: accepting a held message from an unknown sender on its case."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicdesk.core.errors import NotFoundError
from civicdesk.intake.models import InboundEmail
from civicdesk.intake.sources.email.services import inbound_email_accept


@login_required
@require_POST
def held_email_accept(request: HttpRequest, inbound_id: int) -> HttpResponse:
    """Accept a held message as the customer's (it joins the conversation; the customer stays who it was).

    Someone who may not handle the case gets the same 404 as for a message that does not exist.
    """
    inbound = InboundEmail.objects.select_related("case").filter(pk=inbound_id).first()
    if inbound is None:
        raise NotFoundError()
    entry = inbound_email_accept(user=request.user, inbound=inbound)
    messages.success(request, _("The message was added to the case as the customer's message."))
    return HttpResponseRedirect(reverse("cases:detail", args=[entry.case.reference]) + f"#entry-{entry.pk}",
                                status=303)
