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

from collections.abc import Sequence
from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from civicdesk.cases.forms import BlankActionForm
from civicdesk.cases.templatetags.case_lists import PLAIN_REFERENCE, REFERENCE_PLACEHOLDER

register = template.Library()
_CSRF = CsrfTokenNode()
_MULTIPART = ' enctype="multipart/form-data"'


# A blank form's hidden fields are its `seen` number and nothing of the case or the actor: written
# once per form class with this number, then split around it.
_SEEN_STAND_IN = 987_654_321_987
_HIDDEN: dict[type, tuple[str, str] | None] = {}
_MULTIPART_CLASSES: dict[type, bool] = {}


_ACTION_URLS: dict[tuple[str | None, str, str], tuple[str, str]] = {}


def _action_url(reference: str, name: str) -> str:
    """`reverse("cases:action", args=[reference, name])`, escaped, from the action's address kept split
    around the reference."""
    if not PLAIN_REFERENCE.fullmatch(reference):
        return conditional_escape(reverse("cases:action", args=[reference, name]))
    key = (get_language(), get_script_prefix(), name)  # addresses carry the language's prefix
    split = _ACTION_URLS.get(key)
    if split is None:
        start, end = reverse("cases:action", args=[REFERENCE_PLACEHOLDER, name]).split(REFERENCE_PLACEHOLDER, 1)
        split = _ACTION_URLS[key] = (conditional_escape(start), conditional_escape(end))
    return f"{split[0]}{reference}{split[1]}"


def _blank_form_html(blank: BlankActionForm, csrf: str, case: Any) -> str:
    """What the loop below writes for the blank form `blank` stands for, without building it when its
    hidden fields' pattern and its visible fields' HTML are kept."""
    form_class = blank.form_class
    if form_class not in _HIDDEN:
        written = "".join(str(field) for field in blank.form(seen_entry_id=_SEEN_STAND_IN).hidden_fields())
        pieces = written.split(str(_SEEN_STAND_IN))
        _HIDDEN[form_class] = (pieces[0], pieces[1]) if len(pieces) == 2 else None
    hidden = _HIDDEN[form_class]
    if hidden is None or blank.seen_entry_id is None:
        return _form_html(blank.form(), None, csrf, case)
    multipart = _MULTIPART_CLASSES.get(form_class)
    if multipart is None:
        multipart = _MULTIPART_CLASSES[form_class] = blank.form().is_multipart()
    name = form_class.action_name()
    title = escape(form_class.title)
    url = _action_url(case.reference, name)
    fields = blank.pickers.fragment(("case-action", form_class, name, "id_%s", blank.key),
                                    lambda: _visible_fields(blank.form()))
    return (
        f"\n  <details>\n    <summary>{title}</summary>\n    \n"
        f'    <form method="post" action="{url}#action-errors"{_MULTIPART if multipart else ""} novalidate>\n'
        f"      {csrf}\n      {hidden[0]}{blank.seen_entry_id}{hidden[1]}\n      {fields}"
        f'\n      <button type="submit">{title}</button>\n    </form>\n  </details>\n  '
    )


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
    title = escape(form.title)
    # The fragment brings the reader straight to the error summary when the form comes back.
    url = conditional_escape(reverse("cases:action", args=[case.reference, form.action_name()]))
    parts = [
        f"\n  <details{' open' if form is failed else ''}>\n    <summary>{title}</summary>\n    \n"
        f'    <form method="post" action="{url}#action-errors"'
        f"{_MULTIPART if form.is_multipart() else ''} novalidate>\n"
        f"      {csrf}\n      "
    ]
    parts.extend(str(field) for field in form.hidden_fields())
    parts.append("\n      ")
    key = form.blank_fields_key()
    if key is None:
        parts.append(_visible_fields(form))
    else:
        # The same for every case of the organisation (or of a group): kept with its pickers.
        parts.append(form.pickers.fragment(
            ("case-action", type(form), form.prefix, form.auto_id, key), lambda form=form: _visible_fields(form)
        ))
    parts.append(f'\n      <button type="submit">{title}</button>\n    </form>\n  </details>\n  ')
    return "".join(parts)


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
