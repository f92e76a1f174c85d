"""The portal theme (R1.8): validated design tokens, a logo that must be an image, contrast warnings."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from civicdesk.organizations.models import Theme, contrast_ratio

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _finnish():
    # Another test in the same worker may leave a language active; these read Finnish URLs and texts.
    with translation.override("fi"):
        yield


def _png(size=(120, 48), colour=(10, 79, 158)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_contrast_ratio_matches_wcag():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54
    assert contrast_ratio("#ffffff", "#ffffff") == 1.0


def test_the_default_theme_meets_aa(city):
    assert Theme(organization=city.org).contrast_warnings() == []


def test_low_contrast_colours_are_warned_about(city):
    theme = Theme(organization=city.org, accent_colour="#7fb2ff", muted_colour="#bbbbbb")
    with translation.override("en"):
        warnings = theme.contrast_warnings()
    assert len(warnings) == 2
    assert any("Links" in w for w in warnings)
    # The focus ring shows if its outline (text colour) or its halo (focus colour) stands out.
    assert Theme(organization=city.org, focus_colour="#fafafa").contrast_warnings() == []
    dark = Theme(organization=city.org, text_colour="#eeeeee", background_colour="#111111", accent_colour="#9fc5ff",
                 muted_colour="#bbbbbb", focus_colour="#222222")
    assert dark.contrast_warnings() == []


@pytest.mark.parametrize(("field", "value"), [
    ("accent_colour", "red"), ("accent_colour", "#12345"), ("text_colour", "#1a1a1a; } body { display:none"),
    ("font_family", "Arial; } body { background: url(https://evil.example/x) }"), ("font_family", "</style>"),
])
def test_token_values_that_could_break_out_of_css_are_refused(city, field, value):
    theme = Theme(organization=city.org, **{field: value})
    with pytest.raises(ValidationError) as raised:
        theme.full_clean()
    assert field in raised.value.message_dict


def test_a_logo_must_be_a_small_raster_image(city):
    Theme(organization=city.org, logo=_png()).full_clean()
    svg = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    with pytest.raises(ValidationError):
        Theme(organization=city.org, logo=svg).full_clean()
    with pytest.raises(ValidationError):
        Theme(organization=city.org, logo=_png(size=(2500, 100))).full_clean()
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (600 * 1024))
    with pytest.raises(ValidationError):
        Theme(organization=city.org, logo=big).full_clean()


def test_the_stylesheet_holds_only_valid_tokens(client, city):
    theme = Theme.objects.create(organization=city.org, accent_colour="#005a9c", font_family='"Source Sans 3", Arial')
    # Saved around the admin's validation: left out of the stylesheet rather than written into it.
    # Seven characters, so that PostgreSQL's varchar(7) stores it as SQLite does.
    Theme.objects.filter(pk=theme.pk).update(text_colour="};*{x:0")
    response = client.get(reverse("portal:theme_css", args=[city.org.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert "--accent: #005a9c;" in css
    assert '--font: "Source Sans 3", Arial;' in css
    assert "};*{x:0" not in css
    assert "--fg" not in css
    assert "max-age=86400" in response["Cache-Control"]


def test_portal_pages_use_the_theme_and_staff_pages_do_not(client, city):
    Theme.objects.create(organization=city.org, logo=_png())
    body = client.get(reverse("portal:public_contacts")).content.decode()
    assert reverse("portal:theme_css", args=[city.org.slug]) in body
    assert f'alt="{city.org.name}"' in body
    logo = client.get(reverse("portal:theme_logo", args=[city.org.slug]))
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    client.force_login(city.users["advisor"])
    staff = client.get(reverse("cases:home")).content.decode()
    assert "theme/" not in staff


def test_no_theme_means_the_default_look(client, city):
    assert client.get(reverse("portal:theme_css", args=[city.org.slug])).status_code == 404
    assert client.get(reverse("portal:theme_logo", args=[city.org.slug])).status_code == 404
    body = client.get(reverse("portal:public_contacts")).content.decode()
    assert "theme/" not in body


def test_content_admins_edit_their_own_theme_and_see_the_snippet(client, city, other_city):
    from civicdesk.accounts.models import Role
    from tests.factories import add_role

    theme = Theme.objects.create(organization=city.org)
    other = Theme.objects.create(organization=other_city.org)
    admin_user = city.users["contentadmin"]
    admin_user.is_staff = True
    admin_user.save()
    add_role(admin_user, city.org, Role.CONTENT_ADMIN)
    client.force_login(admin_user)
    with translation.override("en"):
        page = client.get(reverse("admin:organizations_theme_change", args=[theme.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/embed/{city.org.slug}/contact/{city.org.slug}/" in body
    assert "js/embed.js" in body
    assert client.get(reverse("admin:organizations_theme_change", args=[other.pk])).status_code in (302, 404)
    with translation.override("en"):
        change_url = reverse("admin:organizations_theme_change", args=[theme.pk])
    response = client.post(change_url, {
        "text_colour": "#1a1a1a", "background_colour": "#ffffff", "accent_colour": "#99ccff",
        "muted_colour": "#595959", "focus_colour": "#ffbf47", "font_family": "", "heading_font_family": "",
    }, follow=True)
    assert response.status_code == 200
    theme.refresh_from_db()
    assert theme.accent_colour == "#99ccff"
    assert "WCAG AA needs 4.5:1" in response.content.decode()
