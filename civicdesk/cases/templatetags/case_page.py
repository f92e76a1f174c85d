"""Parts of the case page written in Python: the action forms.

The case page offers up to sixteen action forms, each a `<details>` with its fields; looping over
them in the template engine cost more than rendering their widgets (docs/benchmarks.md, issue 3).
`case_action_forms` writes what the loop in cases/detail.html wrote, byte for byte: every field
through its own `label_tag()`, widget and error list (the project's form renderer), the form's
title escaped, the bound form that failed opened. A blank form whose fields show only the
organisation's pickers (or those and the case's group) is written once per process
and kept with the pickers (`CaseActionForm.blank_fields_key`, forms_pickers.py), which are
rebuilt when anything they show changes.

    {% load case_page %}
    {% case_action_forms action_forms failed_action case %}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
_CSRF = CsrfTokenNode()
_MULTIPART = ' enctype="multipart/form-data"'


@register.simple_tag(takes_context=True)
def case_action_forms(context: template.Context, forms: Sequence[Any], failed: Any, case: Any) -> SafeString:
    csrf = _CSRF.render(context)
    parts: list[str] = []
    for form in forms:
        title = escape(form.title)
        # The fragment brings the reader straight to the error summary when the form comes back.
        url = conditional_escape(reverse("cases:action", args=[case.reference, form.action_name()]))
        parts.append(
            f"\n  <details{' open' if form is failed else ''}>\n    <summary>{title}</summary>\n    \n"
            f'    <form method="post" action="{url}#action-errors"'
            f"{_MULTIPART if form.is_multipart() else ''} novalidate>\n"
            f"      {csrf}\n      "
        )
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
    return mark_safe("".join(parts))  # the fields render themselves escaped; the titles are escaped above


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
