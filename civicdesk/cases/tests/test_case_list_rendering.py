"""The case table written in Python (templatetags/case_lists.py) against the template it replaced.

`reference_case_list.html` is the former `cases/_case_list.html`, reading the same row fields: the tag
must write the same bytes for every row shape, in every language, with HTML in the user's text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.utils import translation

from civicdesk.cases import services
from civicdesk.cases.selectors import CaseRow, cases_in_queue
from civicdesk.cases.templatetags.case_lists import case_list
from tests.factories import City

REFERENCE_TEMPLATE = (Path(__file__).parent / "reference_case_list.html").read_text(encoding="utf-8")

MOMENT = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # the night Finland moves its clocks


def _row(**overrides: Any) -> CaseRow:
    values: dict[str, Any] = {
        "pk": 7, "reference": "2026-000007", "title": "Kuoppa", "status": "new", "organization_id": 1,
        "last_activity_at": MOMENT, "created_at": MOMENT, "due_at": None, "priority": 2,
        "handler_name": "", "category_names": (),
    }
    values.update(overrides)
    return CaseRow(**values)


ROWS = [
    _row(),
    _row(pk=8, reference="2026-000008", title='<script>alert("x")</script> & \'quotes\'', status="open",
         handler_name="Åsa <b>Öberg</b>", category_names=("Kadut & tiet", "<i>Puistot</i>"),
         last_activity_at=MOMENT + dt.timedelta(hours=3), due_at=MOMENT + dt.timedelta(days=2, minutes=5)),
    _row(pk=9, reference="2026-000009", title="Ready", status="closed", handler_name="matti",
         category_names=("Talvikunnossapito",), last_activity_at=dt.datetime(2025, 12, 31, 23, 59, tzinfo=dt.UTC)),
    _row(pk=10, reference="weird ref ä?&x", title="Odd reference", status="waiting"),
]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("selectable", [False, True])
@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []], ids=["many", "one", "none"])
def test_the_tag_writes_what_the_template_wrote(language: str, selectable: bool, rows: list[CaseRow]) -> None:
    with translation.override(language):
        expected = Template(REFERENCE_TEMPLATE).render(Context({"cases": rows, "selectable": selectable}))
        assert case_list(rows, selectable=selectable) == expected


def test_user_text_is_escaped() -> None:
    html = case_list(ROWS, selectable=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in html
    assert "Åsa &lt;b&gt;Öberg&lt;/b&gt;" in html
    assert "Kadut &amp; tiet, &lt;i&gt;Puistot&lt;/i&gt;" in html


@pytest.mark.django_db
def test_the_tag_renders_selector_rows_as_the_template_does(city: City) -> None:
    taken = city.case(title="<b>Kuoppa</b>", categories=[city.category_streets, city.category_parks])
    services.case_take(case=taken, actor=city.users["expert"])
    city.case(title="Toinen")
    page = cases_in_queue(user=city.fresh("advisor"), service_group=city.streets, status_filter="all")
    assert len(page.cases) == 2
    assert {row.handler_name for row in page.cases} == {str(city.users["expert"]), ""}
    assert max(len(row.category_names) for row in page.cases) == 2
    for language in ("fi", "sv", "en"):
        with translation.override(language):
            expected = Template(REFERENCE_TEMPLATE).render(Context({"cases": page.cases, "selectable": True}))
            assert case_list(page.cases, selectable=True) == expected


@pytest.mark.parametrize(
    "format_string",
    ["j.n.Y G.i", "Y-m-d H:i", "m/d/Y P", "d.m.y H:i:s", "N j, Y, P", r"\j\a\n j \o\f F", "D, j M Y \\G G", ""],
)
def test_dates_are_written_as_djangos_dateformat_writes_them(format_string: str) -> None:
    from django.utils import dateformat, timezone

    from civicdesk.cases.templatetags.case_lists import date_formatted

    moments = [MOMENT + dt.timedelta(minutes=minutes) for minutes in range(0, 60 * 24 * 400, 997)]
    moments += [dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=dt.UTC)]
    for language in ("fi", "sv", "en"):
        with translation.override(language), timezone.override("Europe/Helsinki"):
            for moment in moments:
                local = timezone.localtime(moment)
                assert date_formatted(local, format_string) == dateformat.format(local, format_string)
