"""The contact form embedded on other sites (R1.4): frame-ancestors only for allowed origins, nowhere else."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from civicdesk.organizations.models import Organization, validate_embed_origins
from civicdesk.portal.embedding import allowed_origins

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finnish():
    # Another test in the same worker may leave a language active; these read Finnish URLs and texts.
    with translation.override("fi"):
        yield


def _embed(city, path: str) -> str:
    return f"/embed/{city.org.slug}{path}"


@pytest.fixture
def allowed(city):
    Organization.objects.filter(pk=city.org.pk).update(
        embed_origins="https://www.example.fi\nhttps://*.city.example"
    )
    city.org.refresh_from_db()
    return city


def test_a_normal_page_refuses_every_frame(client, allowed):
    response = client.get(reverse("portal:contact", args=[allowed.org.slug]))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors" not in response.get("Content-Security-Policy", "")


def test_the_embedded_form_may_be_framed_by_the_allowed_origins_only(client, allowed):
    response = client.get(_embed(allowed, reverse("portal:contact", args=[allowed.org.slug])))
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https://www.example.fi https://*.city.example" in response["Content-Security-Policy"]
    body = response.content.decode()
    # Links and the form stay inside the embedding; the page has no site header and tells its height.
    assert f'href="/embed/{allowed.org.slug}/' in body
    assert "js/embed-frame.js" in body
    assert 'class="site-header"' not in body


def test_without_allowed_origins_only_the_site_itself_may_frame(client, city):
    response = client.get(_embed(city, reverse("portal:contact", args=[city.org.slug])))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors 'self'"


@override_settings(PORTAL_EMBED_ORIGINS=["https://default.example"])
def test_the_deployment_default_applies_when_the_organisation_lists_none(client, city):
    response = client.get(_embed(city, reverse("portal:contact", args=[city.org.slug])))
    assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://default.example"
    Organization.objects.filter(pk=city.org.pk).update(embed_origins="https://own.example")
    response = client.get(_embed(city, reverse("portal:contact", args=[city.org.slug])))
    assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://own.example"


def test_staff_pages_the_admin_and_other_organisations_are_not_embeddable(client, allowed, other_city):
    for path in ("/staff/", "/admin/", "/accounts/login/", "/i18n/setlang/", "/en/staff/"):
        assert client.get(_embed(allowed, path)).status_code == 404, path
    # One organisation's embedding does not frame another organisation's form.
    other_form = reverse("portal:contact", args=[other_city.org.slug])
    assert client.get(_embed(allowed, other_form)).status_code == 404
    assert client.get(f"/embed/no-such-city{other_form}").status_code == 404


def test_public_pages_and_languages_work_embedded(client, allowed):
    for path in ("/contacts/", "/en/contacts/", "/sv/news/", "/news/"):
        response = client.get(_embed(allowed, path))
        assert response.status_code == 200, path
        assert "X-Frame-Options" not in response


def test_an_embedded_post_from_the_site_itself_passes_without_the_csrf_cookie(allowed):
    # Inside a frame on another site the browser withholds the site's cookies; the Origin header says
    # the form was sent from our own page in the frame.
    case = allowed.case()
    browser = Client(enforce_csrf_checks=True)
    path = reverse("portal:track", args=[case.tracking_token])
    url = _embed(allowed, path)
    own = browser.post(url, {"message": ""}, HTTP_ORIGIN="http://testserver")
    assert own.status_code == 400  # the form's own validation answered, not the CSRF check
    foreign = browser.post(url, {"message": ""}, HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403
    missing = browser.post(url, {"message": ""})
    assert missing.status_code == 403
    # Outside the embedding the CSRF check is as strict as ever.
    assert browser.post(path, {"message": ""}, HTTP_ORIGIN="http://testserver").status_code == 403
    # A message sent from the frame reaches the case, and the redirect stays inside the embedding.
    sent = browser.post(url, {"message": "Lisätietoa kuopasta."}, HTTP_ORIGIN="http://testserver")
    assert sent.status_code == 302
    assert sent["Location"].startswith(f"/embed/{allowed.org.slug}/track/")
    assert case.timeline.filter(body="Lisätietoa kuopasta.").exists()


def test_an_existing_policy_keeps_its_directives(rf, allowed):
    from django.http import HttpResponse

    from civicdesk.portal.embedding import PortalEmbedMiddleware

    def view(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        return response

    middleware = PortalEmbedMiddleware(view)
    response = middleware(rf.get(f"/embed/{allowed.org.slug}/contacts/"))
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; frame-ancestors 'self' https://www.example.fi https://*.city.example"
    )


@pytest.mark.parametrize("text", ["https://www.example.fi", "http://localhost:8080", "https://*.example.fi",
                                  "https://a.example.fi, https://b.example.fi", ""])
def test_origins_that_are_accepted(text):
    validate_embed_origins(text)


@pytest.mark.parametrize("text", ["www.example.fi", "https://example.fi/path", "javascript:alert(1)", "*",
                                  "https://exa mple.fi", "'unsafe-inline'", "https://example.fi;script-src"])
def test_origins_that_are_refused(text):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_embed_origins(text)


def test_allowed_origins_are_normalised(city):
    city.org.embed_origins = "HTTPS://WWW.Example.FI/\n\n https://b.example.fi "
    assert allowed_origins(city.org) == ("https://www.example.fi", "https://b.example.fi")
