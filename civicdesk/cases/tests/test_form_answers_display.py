"""The case page's "answers on the contact form": an app's media address is a safe link, nothing else is."""

from __future__ import annotations

import pytest

from civicdesk.cases.models import Case
from tests.factories import City

pytestmark = pytest.mark.django_db


def _answers(*rows: tuple[str, str]) -> dict:
    return {"answers": [{"question": None, "kind": kind, "label": f"Kenttä {n}", "value": value, "display": value}
                        for n, (kind, value) in enumerate(rows)]}


def test_a_posted_media_address_is_a_link_that_leaks_nothing_and_other_answers_stay_text(client, city: City):
    case = city.case(owner_group=city.streets)
    Case.objects.filter(pk=case.pk).update(form_answers=_answers(
        ("media_url", "https://kuvat.example.org/kuoppa.jpg?x=1&y=2"),
        ("media_url", "javascript:alert(1)"),
        ("text", "https://ei-linkki.example.org/"),
    ))
    client.force_login(city.fresh("expert"))
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert ('<a href="https://kuvat.example.org/kuoppa.jpg?x=1&amp;y=2" rel="noopener noreferrer nofollow"'
            in page)
    assert 'href="javascript:' not in page
    assert "javascript:alert(1)" in page  # shown, as text
    assert 'href="https://ei-linkki.example.org/"' not in page
