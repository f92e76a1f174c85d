"""The header's controls written in Python (core.templatetags.site_header) are what base.html's
markup wrote, byte for byte: for visitors and for each role, with and without unread notifications,
in every language, for any address."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.utils import translation

from tests.factories import City

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_csrf_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same CSRF token for both renders (each request masks the secret anew)."""
    monkeypatch.setattr("django.template.context_processors.get_token", lambda request: "t0ken<&>")

# The part of templates/base.html that `{% site_controls %}` replaced.
REFERENCE = """{% load i18n %}{% get_current_language as LANGUAGE_CODE %}\
    {% if user.is_authenticated %}
    <nav aria-label="{% translate 'Main' %}">
      <ul>
        <li><a href="{% url 'cases:home' %}">{% translate "My work" %}</a></li>
        {% if workspace_nav.overview %}<li><a href="{% url 'cases:all' %}">{% translate "All contacts" %}</a></li>
        {% elif workspace_nav.areas %}<li><a href="{% url 'cases:all' %}">{% translate "Cases in my areas" %}</a></li>{% endif %}
        <li><a href="{% url 'cases:search' %}">{% translate "Search" %}</a></li>
        <li><a href="{% url 'notifications:list' %}">{% translate "Notifications" %}{% if notification_badge.count %}<span class="badge" aria-hidden="true"> ({% if notification_badge.more %}99+{% else %}{{ notification_badge.count }}{% endif %})</span><span class="visually-hidden">, {% if notification_badge.more %}{% translate "more than 99 unread" %}{% else %}{% blocktranslate count counter=notification_badge.count %}{{ counter }} unread{% plural %}{{ counter }} unread{% endblocktranslate %}{% endif %}</span>{% endif %}</a></li>
        {% if user.is_staff %}<li><a href="{% url 'admin:index' %}">{% translate "Administration" %}</a></li>{% endif %}
      </ul>
    </nav>
    {% endif %}
    <form class="language" action="{% url 'set_language' %}" method="post">{% csrf_token %}
      <input name="next" type="hidden" value="{{ request.get_full_path }}">
      <label for="language-select">{% translate "Language" %}</label>
      <select id="language-select" name="language">
        {% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}
        {% for language in languages %}
        <option value="{{ language.code }}" lang="{{ language.code }}"{% if language.code == LANGUAGE_CODE %} selected{% endif %}>{{ language.name_local }}</option>
        {% endfor %}
      </select>
      <button type="submit">{% translate "Change" %}</button>
    </form>
    {% if user.is_authenticated %}
    <form action="{% url 'accounts:logout' %}" method="post">{% csrf_token %}
      <button type="submit">{% translate "Log out" %} ({{ user }})</button>
    </form>
    {% endif %}
"""  # noqa: E501 (the template's own lines)

WRITTEN = "{% load site_header %}{% site_controls %}\n"


def both(user: Any, path: str, **context: Any) -> tuple[str, str]:
    request = RequestFactory().get(path)
    request.user = user
    return (Template(REFERENCE).render(RequestContext(request, context)),
            Template(WRITTEN).render(RequestContext(request, context)))


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_controls_are_the_markup_s_for_every_role_badge_and_address(city: City, language: str) -> None:
    staff_advisor = city.admin_user("advisor")
    users = [AnonymousUser(), city.fresh("expert"), city.fresh("viewer"), staff_advisor, city.fresh("partner")]
    badges = [None, SimpleNamespace(count=0, more=False), SimpleNamespace(count=1, more=False),
              SimpleNamespace(count=7, more=False), SimpleNamespace(count=99, more=True)]
    paths = ["/staff/", '/staff/all/?q=<script>"x"&page=2', "/staff/cases/2026-000001/#top"]
    with translation.override(language):
        for user in users:
            for badge in badges:
                for path in paths:
                    extra = {} if badge is None else {"notification_badge": badge}
                    reference, written = both(user, path, **extra)
                    assert written == reference, (user, badge, path)


def test_a_visitor_gets_only_the_language_switch() -> None:
    reference, written = both(AnonymousUser(), "/")
    assert written == reference
    assert "<nav" not in written
    assert 'name="next" type="hidden" value="/"' in written
