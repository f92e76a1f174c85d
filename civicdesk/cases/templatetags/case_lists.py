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

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

if TYPE_CHECKING:
    from civicdesk.cases.selectors import CaseRow

register = template.Library()

# References are "YYYY-NNNNNN"; anything else goes through reverse() to be quoted as the URL tag would.
_PLAIN_REFERENCE = re.compile(r"[0-9A-Za-z_-]+")
_REFERENCE_PLACEHOLDER = "0000-000000"


def url_with_reference(viewname: str, reference: str, *rest: str) -> str:
    """`{% url viewname reference *rest %}`: the address escaped. For a plain reference it is put into
    the address kept split around it, per language (i18n_patterns' prefix) and script prefix."""
    if not _PLAIN_REFERENCE.fullmatch(reference):
        return escape(reverse(viewname, args=[reference, *rest]))
    start, end = _split_at_reference(get_language(), get_script_prefix(), viewname, rest)
    return f"{start}{reference}{end}"


@functools.lru_cache(maxsize=256)
def _split_at_reference(language: str | None, script_prefix: str, viewname: str,
                        rest: tuple[str, ...]) -> tuple[str, str]:
    start, end = reverse(viewname, args=[_REFERENCE_PLACEHOLDER, *rest]).split(_REFERENCE_PLACEHOLDER, 1)
    return escape(start), escape(end)

# What `django.utils.dateformat.DateFormat` writes for the format characters the languages' short
# date-time formats use (fi "j.n.Y G.i", sv "Y-m-d H:i"); any other character goes to DateFormat.
# A table of 25 rows formats 50 times: parsing the format once per page instead of per value took
# most of the table's time (docs/benchmarks.md, issue 3). test_case_list_rendering compares them.
_DATE_PARTS: dict[str, Callable[[dt.datetime], str]] = {
    "d": lambda value: f"{value.day:02d}",
    "j": lambda value: str(value.day),
    "m": lambda value: f"{value.month:02d}",
    "n": lambda value: str(value.month),
    "y": lambda value: f"{value.year % 100:02d}",
    "Y": lambda value: f"{value.year:04d}",
    "G": lambda value: str(value.hour),
    "H": lambda value: f"{value.hour:02d}",
    "i": lambda value: f"{value.minute:02d}",
    "s": lambda value: f"{value.second:02d}",
}


@functools.lru_cache(maxsize=64)
def _date_pieces(format_string: str) -> tuple[tuple[bool, str], ...]:
    """The format split as DateFormat.format splits it: (True, character) or (False, literal text)."""
    pieces = []
    for index, piece in enumerate(dateformat.re_formatchars.split(format_string)):
        if index % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, dateformat.re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


def date_formatted(value: dt.datetime, format_string: str) -> str:
    """`dateformat.format(value, format_string)`, with the common characters written directly."""
    written = []
    formatter = None
    for is_character, piece in _date_pieces(format_string):
        if not is_character:
            written.append(piece)
            continue
        part = _DATE_PARTS.get(piece)
        if part is not None:
            written.append(part(value))
            continue
        if formatter is None:
            formatter = dateformat.DateFormat(value)
        written.append(str(getattr(formatter, piece)()))
    return "".join(written)


@register.simple_tag
def case_list(cases: Sequence[CaseRow], selectable: bool = False) -> SafeString:
    if not cases:
        return mark_safe(f"\n\n<p>{escape(gettext('No cases.'))}</p>\n")
    current_tz = timezone.get_current_timezone()
    short_datetime = str(formats.get_format("SHORT_DATETIME_FORMAT"))
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
        url = url_with_reference("cases:detail", case.reference)
        status = status_labels.get(case.status)
        if status is None:
            status = status_labels[case.status] = escape(case.get_status_display())
        last_activity = timezone.localtime(case.last_activity_at, current_tz)
        if case.due_at is not None:
            due_at = timezone.localtime(case.due_at, current_tz)
            due = (f'<time datetime="{escape(due_at.isoformat())}">'
                   f"{escape(date_formatted(due_at, short_datetime))}</time>")
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
            f"{escape(date_formatted(last_activity, short_datetime))}</time></td>\n"
            "  </tr>\n  "
        )
    parts.append("\n  </tbody>\n</table>\n\n")
    return mark_safe("".join(parts))  # every value above is escaped
