"""The page header's controls, written in Python: the main navigation, the language switch and
logging out.

Every page extends templates/base.html, and its header was about a sixth of a staff list page's
CPU time: seven `{% url %}`s, a dozen `{% translate %}`s, the languages' loop and two CSRF tokens
through the template engine (docs/benchmarks.md, issue 3). `site_controls` writes what that part
of base.html wrote, byte for byte (core/tests/test_site_header.py renders the old markup beside it):
the addresses, the translated words and the languages' options are written once per process and
language; only the badge, the user's name, the role-dependent links, the CSRF token and the
current address are put in per request. Every value from outside is escaped as the template did.

    {% load site_header %}
    {% site_controls %}
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info, gettext, ngettext

register = template.Library()
_CSRF = CsrfTokenNode()


@dataclass(frozen=True)
class _Words:
    """What does not change from request to request for one language and script prefix."""

    nav_start: str
    overview: str
    areas: str
    nav_middle: str
    more_than_99: str
    administration: str
    nav_end: str
    language_form: str
    language_rest: str
    options: str  # the languages' <option>s, this one selected
    language_end: str
    logout_form: str
    log_out: str


@functools.lru_cache(maxsize=64)
def _words(language: str | None, script_prefix: str) -> _Words:
    """The words for `language`, the active one (and the addresses under `script_prefix`)."""
    def url(name: str) -> str:
        return conditional_escape(reverse(name))

    def text(message: str) -> str:
        return conditional_escape(gettext(message))

    all_url = url("cases:all")
    infos = [get_language_info(code) for code, _name in settings.LANGUAGES]
    options = "".join(
        f'\n        <option value="{escape(info["code"])}" lang="{escape(info["code"])}"'
        f'{" selected" if info["code"] == language else ""}>{escape(info["name_local"])}</option>\n        '
        for info in infos
    )
    return _Words(
        nav_start=(f'\n    <nav aria-label="{text("Main")}">\n      <ul>\n'
                   f'        <li><a href="{url("cases:home")}">{text("My work")}</a></li>\n        '),
        overview=f'<li><a href="{all_url}">{text("All contacts")}</a></li>\n        ',
        areas=f'<li><a href="{all_url}">{text("Cases in my areas")}</a></li>',
        nav_middle=(f'\n        <li><a href="{url("cases:search")}">{text("Search")}</a></li>\n'
                    f'        <li><a href="{url("notifications:list")}">{text("Notifications")}'),
        more_than_99=text("more than 99 unread"),
        administration=f'<li><a href="{url("admin:index")}">{text("Administration")}</a></li>',
        nav_end="\n      </ul>\n    </nav>\n    ",
        language_form=f'\n    <form class="language" action="{url("set_language")}" method="post">',
        language_rest=(f'\n      <label for="language-select">{text("Language")}</label>\n'
                       '      <select id="language-select" name="language">\n        \n        '),
        options=options,
        language_end=(f'\n      </select>\n      <button type="submit">{text("Change")}</button>'
                      "\n    </form>\n    "),
        logout_form=f'\n    <form action="{url("accounts:logout")}" method="post">',
        log_out=text("Log out"),
    )


@register.simple_tag(takes_context=True)
def site_controls(context: template.Context) -> SafeString:
    """The header's controls, in the current language."""
    words = _words(get_language(), get_script_prefix())
    user: Any = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    csrf = _CSRF.render(context)
    parts = ["    "]
    if signed_in:
        parts.append(words.nav_start)
        navigation = context.get("workspace_nav")
        if navigation and navigation["overview"]:
            parts.append(words.overview)
        elif navigation and navigation["areas"]:
            parts.append(words.areas)
        parts.append(words.nav_middle)
        badge: Any = context.get("notification_badge")
        count = int(badge.count) if badge is not None else 0
        if count:
            more = badge.more
            shown = "99+" if more else str(count)  # at most 99: no digit grouping
            # As {% blocktranslate count %} writes it: the value in, the translation as it is.
            spoken = words.more_than_99 if more else (
                ngettext("%(counter)s unread", "%(counter)s unread", count) % {"counter": count})
            parts.append(f'<span class="badge" aria-hidden="true"> ({shown})</span>'
                         f'<span class="visually-hidden">, {spoken}</span>')
        parts.append("</a></li>\n        ")
        if user.is_staff:
            parts.append(words.administration)
        parts.append(words.nav_end)
    request = context.get("request")
    path = conditional_escape(request.get_full_path()) if request is not None else ""
    parts += [words.language_form, csrf, f'\n      <input name="next" type="hidden" value="{path}">',
              words.language_rest, words.options, words.language_end]
    if signed_in:
        parts += [words.logout_form, csrf,
                  f'\n      <button type="submit">{words.log_out} ({conditional_escape(user)})</button>'
                  "\n    </form>\n    "]
    return mark_safe("".join(parts))  # every value from outside is escaped above
