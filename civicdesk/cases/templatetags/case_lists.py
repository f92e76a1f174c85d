"""The staff's table of cases, written in Python.

The queue, the list of all contacts, "My work", search and the case page (the customer's other
cases, cases nearby) all show the same table. Rendered row by row by the template engine it was
the largest part of those pages' CPU time (docs/benchmarks.md, issue 3); here each row is a few
string joins, every user-provided text escaped as the template did.

    {% load case_lists %}
    {% case_list cases %}                  {# cases: list of selectors.CaseRow #}
    {% case_list page.cases selectable=True %}

`selectable` adds a checkbox per row (`case`, labelled with the reference and title), every row's
id as `page_case` and a "select all on this page" checkbox (`select_all`), for a surrounding
bulk-action form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

if TYPE_CHECKING:
    from civicdesk.cases.selectors import CaseRow

register = template.Library()

# References are "YYYY-NNNNNN"; anything else goes through reverse() to be quoted as the URL tag would.
_PLAIN_REFERENCE = re.compile(r"[0-9A-Za-z_-]+")
_REFERENCE_PLACEHOLDER = "0000-000000"


@register.simple_tag
def case_list(cases: Sequence[CaseRow], selectable: bool = False) -> SafeString:
    if not cases:
        return mark_safe(f"\n\n<p>{escape(gettext('No cases.'))}</p>\n")
    detail_url = reverse("cases:detail", args=[_REFERENCE_PLACEHOLDER])
    url_start, url_end = detail_url.split(_REFERENCE_PLACEHOLDER, 1)
    current_tz = timezone.get_current_timezone()
    status_labels: dict[str, str] = {}
    select_label = gettext("Select %(reference)s %(title)s")
    parts = ['\n\n\n<table class="case-list">\n  <thead><tr>']
    if selectable:
        parts.append(
            '<th scope="col" class="select"><input type="checkbox" id="bulk-select-all" name="select_all" '
            'value="1" data-bulk-select-all><label for="bulk-select-all" class="visually-hidden">'
            f"{escape(gettext('Select all cases on this page'))}</label></th>"
        )
    for heading in (gettext("Reference"), gettext("Title"), gettext("Status"), gettext("Categories"),
                    gettext("Handler"), gettext("Due"), gettext("Last activity")):
        parts.append(f'<th scope="col">{escape(heading)}</th>')
    parts.append("</tr></thead>\n  <tbody>\n  ")
    for case in cases:
        reference = escape(case.reference)
        title = escape(case.title)
        parts.append("\n  <tr>\n    ")
        if selectable:
            pk = case.pk
            label = select_label % {"reference": reference, "title": title}
            parts.append(
                f'<td class="select"><input type="checkbox" id="select-case-{pk}" name="case" value="{pk}" '
                f'data-bulk-select><label for="select-case-{pk}" class="visually-hidden">{label}</label>'
                f'<input type="hidden" name="page_case" value="{pk}"></td>'
            )
        if _PLAIN_REFERENCE.fullmatch(case.reference):
            url = f"{url_start}{case.reference}{url_end}"
        else:
            url = escape(reverse("cases:detail", args=[case.reference]))
        status = status_labels.get(case.status)
        if status is None:
            status = status_labels[case.status] = escape(case.get_status_display())
        last_activity = timezone.localtime(case.last_activity_at, current_tz)
        if case.due_at is not None:
            due_at = timezone.localtime(case.due_at, current_tz)
            due = (f'<time datetime="{escape(due_at.isoformat())}">'
                   f'{escape(formats.date_format(due_at, "SHORT_DATETIME_FORMAT"))}</time>')
        else:
            due = "–"
        parts.append(
            f'\n    <td><a href="{url}">{reference}</a></td>\n'
            f"    <td>{title}</td>\n"
            f"    <td>{status}</td>\n"
            f"    <td>{', '.join(escape(name) for name in case.category_names)}</td>\n"
            f"    <td>{escape(case.handler_name) if case.handler_name else '–'}</td>\n"
            f"    <td>{due}</td>\n"
            f'    <td><time datetime="{escape(last_activity.isoformat())}">'
            f'{escape(formats.date_format(last_activity, "SHORT_DATETIME_FORMAT"))}</time></td>\n'
            "  </tr>\n  "
        )
    parts.append("\n  </tbody>\n</table>\n\n")
    return mark_safe("".join(parts))  # every value above is escaped
