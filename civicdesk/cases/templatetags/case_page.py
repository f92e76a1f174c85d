"""Parts of the case page written in Python: the action forms.

The case page offers up to sixteen action forms, each a `<details>` with its fields; looping over
them in the template engine cost more than rendering their widgets (docs/benchmarks.md, issue 3).
`case_action_forms` writes what the loop in cases/detail.html wrote, byte for byte: every field
through its own `label_tag()`, widget and error list (the project's form renderer), the form's
title escaped, the bound form that failed opened. A blank form whose fields show only the
organisation's pickers (or those and the case's group, or the actor) is written once per process
and kept with the pickers (`CaseActionForm.blank_key`, forms_pickers.py), which are rebuilt when
anything they show changes. Such a form comes from the view as a `BlankActionForm`, not built at
all: its hidden `seen` field is written from a pattern kept per form class.

    {% load case_page %}
    {% case_action_forms action_forms failed_action case %}
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from civicdesk.cases.forms import BlankActionForm
from civicdesk.cases.templatetags.case_lists import url_with_reference

register = template.Library()
_CSRF = CsrfTokenNode()
_MULTIPART = ' enctype="multipart/form-data"'


@dataclass(frozen=True)
class _BlankPattern:
    """What a blank form of one class writes besides its visible fields: its hidden fields split around
    the `seen` number (None when they are not just that), and whether it takes files."""

    hidden: tuple[str, str] | None
    multipart: bool


# A blank form's hidden fields are its `seen` number and nothing of the case or the actor: written
# once per form class with this number, then split around it.
_SEEN_STAND_IN = 987_654_321_987
_BLANK_PATTERNS: dict[type, _BlankPattern] = {}


def _blank_pattern(blank: BlankActionForm) -> _BlankPattern:
    pattern = _BLANK_PATTERNS.get(blank.form_class)
    if pattern is None:
        form = blank.form(seen_entry_id=_SEEN_STAND_IN)
        pieces = "".join(str(field) for field in form.hidden_fields()).split(str(_SEEN_STAND_IN))
        pattern = _BLANK_PATTERNS[blank.form_class] = _BlankPattern(
            hidden=(pieces[0], pieces[1]) if len(pieces) == 2 else None, multipart=form.is_multipart())
    return pattern


def _blank_form_html(blank: BlankActionForm, csrf: str, case: Any) -> str:
    """What `_form_html` writes for the blank form `blank` stands for, without building it once its
    class's pattern and its visible fields' HTML are kept."""
    pattern = _blank_pattern(blank)
    if pattern.hidden is None or blank.seen_entry_id is None:
        return _form_html(blank.form(), None, csrf, case)
    form_class, name = blank.form_class, blank.form_class.action_name()
    fields = _kept_fields(blank.pickers, form_class, blank.key, prefix=name, auto_id="id_%s",
                          render=lambda: _visible_fields(blank.form()))
    hidden = f"{pattern.hidden[0]}{blank.seen_entry_id}{pattern.hidden[1]}"
    return _details(form_class.title, name, case, opened=False, multipart=pattern.multipart, csrf=csrf,
                    hidden=hidden, fields=fields)


@register.simple_tag(takes_context=True)
def case_action_forms(context: template.Context, forms: Sequence[Any], failed: Any, case: Any) -> SafeString:
    csrf = _CSRF.render(context)
    parts: list[str] = []
    for form in forms:
        if isinstance(form, BlankActionForm):
            parts.append(_blank_form_html(form, csrf, case))
        else:
            parts.append(_form_html(form, failed, csrf, case))
    return mark_safe("".join(parts))  # the fields render themselves escaped; the titles are escaped


def _form_html(form: Any, failed: Any, csrf: str, case: Any) -> str:
    key = form.blank_fields_key()
    if key is None:
        fields = _visible_fields(form)
    else:
        # The same for every case of the organisation (or of a group): kept with its pickers.
        fields = _kept_fields(form.pickers, type(form), key, prefix=form.prefix, auto_id=form.auto_id,
                              render=lambda: _visible_fields(form))
    return _details(form.title, form.action_name(), case, opened=form is failed, multipart=form.is_multipart(),
                    csrf=csrf, hidden="".join(str(field) for field in form.hidden_fields()), fields=fields)


def _kept_fields(pickers: Any, form_class: type, key: Hashable, *, prefix: str | None, auto_id: Any,
                 render: Callable[[], str]) -> str:
    """A blank form's visible fields, kept with the organisation's pickers under its `blank_key`."""
    return pickers.fragment(("case-action", form_class, prefix, auto_id, key), render)


def _details(title: Any, action: str, case: Any, *, opened: bool, multipart: bool, csrf: str, hidden: str,
             fields: str) -> str:
    """One action: a `<details>` with its form. The address's fragment brings the reader straight to the
    error summary when the form comes back."""
    title = escape(title)
    url = url_with_reference("cases:action", case.reference, action)
    return (
        f"\n  <details{' open' if opened else ''}>\n    <summary>{title}</summary>\n    \n"
        f'    <form method="post" action="{url}#action-errors"{_MULTIPART if multipart else ""} novalidate>\n'
        f"      {csrf}\n      {hidden}\n      {fields}"
        f'\n      <button type="submit">{title}</button>\n    </form>\n  </details>\n  '
    )


def _visible_fields(form: Any) -> str:
    parts = []
    for field in form.visible_fields():
        errors = field.errors
        parts.append(
            f'\n        <div class="field">\n          {field.label_tag()}\n          {field}\n          '
            + (f'<div class="errors" id="{escape(field.auto_id)}_errors">{errors}</div>' if errors else "")
            + "\n        </div>\n      "
        )
    return "".join(parts)
