"""The case page's hand-over details: comment requests on both sides, image previews."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from civicdesk.cases import services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_comment_request_shows_as_pending_on_both_sides_and_overdue(client, city):
    case = city.case()
    expert, expert2 = city.users["expert"], city.users["expert2"]
    request = services.case_request_comment(case=case, actor=expert, question="Onko tämä teidän vastuulla?",
                                            from_user=expert2, due_at=timezone.now() + dt.timedelta(hours=1))
    # The deadline passes.
    type(request).objects.filter(pk=request.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    client.force_login(expert)
    with translation.override("en"):
        home = client.get(reverse("cases:home")).content.decode()
        page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Comment requests I am waiting for" in home
    assert "Onko tämä teidän vastuulla?" in home
    assert "overdue" in home
    assert "Comment requests" in page
    assert "Waiting for comment" in page
    client.force_login(expert2)
    with translation.override("en"):
        home2 = client.get(reverse("cases:home")).content.decode()
    assert "Onko tämä teidän vastuulla?" in home2


def test_image_attachments_are_previewed_inline_and_other_files_never(client, city):
    case = city.case()
    expert = city.users["expert"]
    image = services.attachment_add(case=case, uploaded_file=ContentFile(_png()), name="kuoppa.png", actor=expert)
    document = services.attachment_add(case=case, uploaded_file=ContentFile(PDF), name="liite.pdf", actor=expert)
    client.force_login(expert)
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert f'{reverse("cases:attachment", args=[image.pk])}?preview=1' in page
    assert f'{reverse("cases:attachment", args=[document.pk])}?preview=1' not in page
    preview = client.get(reverse("cases:attachment", args=[image.pk]), {"preview": "1"})
    assert preview["Content-Disposition"].startswith("inline")
    assert "sandbox" in preview["Content-Security-Policy"]
    forced = client.get(reverse("cases:attachment", args=[document.pk]), {"preview": "1"})
    assert forced["Content-Disposition"].startswith("attachment")
