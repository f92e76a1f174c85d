"""The organisation's theme on the residents' pages: a stylesheet link and the brand (logo or name)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from civicdesk.organizations.models import Organization, Theme

register = template.Library()


def _theme(organization: Organization) -> Theme | None:
    """The theme, read once per organisation object (1 query)."""
    if not hasattr(organization, "_portal_theme"):
        organization._portal_theme = Theme.objects.filter(organization=organization).first()  # type: ignore[attr-defined]
    return organization._portal_theme  # type: ignore[attr-defined]


@register.simple_tag
def portal_theme_link(organization: Organization) -> SafeString:
    """A <link> to the theme's stylesheet, versioned by its last change; nothing without a theme.

    A stylesheet rather than an inline <style>, so that a strict Content-Security-Policy needs no
    'unsafe-inline' for styles.
    """
    theme = _theme(organization)
    if theme is None:
        return SafeString("")
    url = reverse("portal:theme_css", args=[organization.slug])
    return format_html('<link rel="stylesheet" href="{}?v={}">', url, int(theme.updated_at.timestamp()))


@register.simple_tag
def portal_brand(organization: Organization) -> SafeString:
    """The link to the portal's front page: the organisation's logo (with its name as alt text) or its name."""
    theme = _theme(organization)
    home = reverse("portal:contact")
    if theme is not None and theme.logo:
        logo = reverse("portal:theme_logo", args=[organization.slug])
        return format_html('<a class="brand brand-logo" href="{}"><img src="{}?v={}" alt="{}" height="48"></a>',
                           home, logo, int(theme.updated_at.timestamp()), organization.name)
    return format_html('<a class="brand" href="{}">{}</a>', home, organization.name)
