from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("cases:home")
    return render(request, "core/landing.html")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def too_many_requests(request: HttpRequest, *, message: str, retry_after_seconds: int) -> HttpResponse:
    """A 429 page with a translated message and Retry-After."""
    response = render(request, "components/error.html", {"message": message, "status": 429}, status=429)
    response["Retry-After"] = str(retry_after_seconds)
    return response


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Shown when a rate-limited endpoint refuses a request (django-ratelimit's RATELIMIT_VIEW)."""
    from django.utils.translation import gettext as _

    return too_many_requests(request, message=_("Too many requests. Wait a moment and try again."),
                             retry_after_seconds=60)
