"""Attachments: content-checked, size-limited, stored under random names, images without metadata."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from PIL import Image

from civicdesk.cases import services
from civicdesk.cases.attachments import attachment_validate
from civicdesk.cases.models import Attachment
from civicdesk.core.errors import ActionNotAllowedError, InvalidInputError, NotFoundError
from civicdesk.privacy.models import AuditEntry

GPS_IFD = 0x8825
MAKE, MODEL, SOFTWARE = 0x010F, 0x0110, 0x0131
MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# The start of a real 64-bit ELF executable header (NUL padding included).
ELF_HEADER = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 40


def jpeg_with_exif(*, size: tuple[int, int] = (64, 48), comment: bytes = b"") -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    exif[MODEL] = "Model 9000"
    exif[SOFTWARE] = "Firmware 1.0"
    exif[GPS_IFD] = {1: "N", 2: (60.0, 10.0, 12.5), 3: "E", 4: (24.0, 56.0, 3.2)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=comment)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (32, 32), *, exif: bool = False) -> bytes:
    image = Image.new("RGBA", size, (0, 120, 0, 128))
    out = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[MAKE] = "SpyCam"
        extra["exif"] = tags
    image.save(out, format="PNG", **extra)
    return out.getvalue()


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def case(city):
    return city.case()


@pytest.fixture
def expert(city):
    return city.users["expert"]


def stored_bytes(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        return handle.read()


def add(case, data: bytes, name: str, actor=None) -> Attachment:
    return services.attachment_add(case=case, uploaded_file=upload(data, name), actor=actor)


def assert_refused(case, data: bytes, name: str, *, actor=None, match: str | None = None) -> None:
    files_before = default_storage.listdir(f"attachments/{case.organization_id}")[1] if default_storage.exists(
        f"attachments/{case.organization_id}") else []
    audit_before = AuditEntry.objects.count()
    # Messages are matched in English whatever the default language.
    with translation.override("en"), pytest.raises(InvalidInputError, match=match) as excinfo:
        add(case, data, name, actor=actor)
    assert excinfo.value.field == "file"
    assert not Attachment.objects.filter(case=case).exists()
    files_after = default_storage.listdir(f"attachments/{case.organization_id}")[1] if default_storage.exists(
        f"attachments/{case.organization_id}") else []
    assert files_after == files_before
    assert AuditEntry.objects.count() == audit_before


# --- accepted files -----------------------------------------------------------------------


def test_jpeg_is_stored_without_exif(case, expert):
    original = jpeg_with_exif()
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif()[MAKE] == "SpyCam"

    attachment = add(case, original, "IMG_0001.JPG", actor=expert)

    assert attachment.content_type == "image/jpeg"
    data = stored_bytes(attachment)
    assert b"SpyCam" not in data
    assert b"Exif" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (64, 48)
        exif = stored.getexif()
        assert MAKE not in exif
        assert MODEL not in exif
        assert GPS_IFD not in exif
        assert not exif.get_ifd(GPS_IFD)


def test_jpeg_comment_is_removed(case):
    attachment = add(case, jpeg_with_exif(comment=b"Maija Meikalainen, Kotikatu 1"), "photo.jpg")

    data = stored_bytes(attachment)
    assert b"Kotikatu" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert "comment" not in stored.info


def test_exif_orientation_is_applied_before_stripping(case):
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)

    attachment = add(case, out.getvalue(), "rotated.jpg")

    with Image.open(io.BytesIO(stored_bytes(attachment))) as stored:
        assert stored.size == (20, 40)
        assert 0x0112 not in stored.getexif()


def test_png_is_accepted_and_cleaned(case):
    attachment = add(case, png_bytes(exif=True), "kartta.png")

    assert attachment.content_type == "image/png"
    data = stored_bytes(attachment)
    assert b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "PNG"
        assert stored.mode == "RGBA"


def test_pdf_is_accepted_unchanged(case):
    attachment = add(case, MINIMAL_PDF, "päätös.pdf")

    assert attachment.content_type == "application/pdf"
    assert stored_bytes(attachment) == MINIMAL_PDF
    assert attachment.original_name == "päätös.pdf"


def test_utf8_text_is_accepted(case):
    text = "Hei! Katulamppu on rikki Äyräpääntiellä. 😀\n".encode()

    attachment = add(case, text, "viesti.txt")

    assert attachment.content_type == "text/plain"
    assert stored_bytes(attachment) == text


def test_long_utf8_text_is_accepted_whatever_falls_on_the_sniffing_boundary(case):
    # The type is sniffed from the first 8192 bytes; a character split there must not make
    # valid UTF-8 look like binary.
    text = ("😁" + "a" * 8183 + "ä" + "loppu\n" * 10).encode()
    assert len("😁".encode() + b"a" * 8183) == 8187

    for cut_at in range(8186, 8192):
        padded = b"a" * (cut_at - 8187) + text if cut_at >= 8187 else text
        attachment = add(case, padded, f"pitka-{cut_at}.txt")
        assert attachment.content_type == "text/plain"


def test_latin1_text_is_accepted(case):
    attachment = add(case, "Hyvää päivää\n".encode("cp1252"), "vanha.txt")

    assert attachment.content_type == "text/plain"


def test_type_comes_from_content_not_from_the_name(case):
    attachment = add(case, png_bytes(), "kuva.pdf")

    assert attachment.content_type == "image/png"


# --- stored name, checksums, audit --------------------------------------------------------


def test_stored_under_a_random_name(case, expert):
    first = add(case, MINIMAL_PDF, "salainen-asiakirja.pdf", actor=expert)
    second = add(case, MINIMAL_PDF, "salainen-asiakirja.pdf", actor=expert)

    for attachment in (first, second):
        stored_name = attachment.file.name or ""
        assert stored_name.startswith(f"attachments/{case.organization_id}/")
        assert "salainen" not in stored_name
        assert not stored_name.endswith(".pdf")
    assert first.file.name != second.file.name


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\maija\\Desktop\\kuva.txt", "kuva.txt"),
        ("/var/www/../x.txt", "x.txt"),
        ("  nimi.txt  ", "nimi.txt"),
        ("nul\x00byte.txt", "nulbyte.txt"),
        # Text under a name that is not a text file's gets ".txt", so it cannot run when opened.
        ("dir/", "attachment.txt"),
        ("", "attachment.txt"),
        ("a" * 300 + ".txt", "a" * 251 + ".txt"),
        ("lasku.js", "lasku.js.txt"),
        ("run.bat", "run.bat.txt"),
    ],
)
def test_original_name_is_sanitised(case, given, kept):
    validated = attachment_validate(ContentFile(b"hello\n"), name=given)

    assert validated.original_name == kept


def test_original_name_is_sanitised_when_stored(case):
    attachment = add(case, b"hello\n", "../../secret/notes.txt")

    attachment.refresh_from_db()
    assert attachment.original_name == "notes.txt"


def test_size_sha256_uploader_and_audit_recorded(case, expert):
    audit_before = AuditEntry.objects.count()

    attachment = add(case, MINIMAL_PDF, "liite.pdf", actor=expert)

    attachment.refresh_from_db()
    assert attachment.size == len(MINIMAL_PDF)
    assert attachment.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert attachment.uploaded_by == expert
    entries = list(AuditEntry.objects.order_by("sequence")[audit_before:])
    assert [e.action for e in entries] == ["case.attachment_add"]
    assert entries[0].changes == {"attachment": attachment.pk, "name": "liite.pdf", "type": "application/pdf",
                                  "size": len(MINIMAL_PDF)}
    assert entries[0].actor == expert
    assert entries[0].object_id == str(case.pk)


def test_checksum_and_size_are_of_the_cleaned_image(case):
    original = jpeg_with_exif()

    attachment = add(case, original, "kuva.jpg")

    data = stored_bytes(attachment)
    assert attachment.size == len(data) != len(original)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()


def test_resident_upload_without_actor(case):
    attachment = add(case, MINIMAL_PDF, "liite.pdf")

    assert attachment.uploaded_by is None


# --- refused files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name"),
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48, "ohjelma.exe",
                     id="windows-exe"),
        pytest.param(ELF_HEADER, "run", id="elf"),
        pytest.param(ELF_HEADER, "kuva.jpg", id="elf-named-jpg"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "paketti.zip", id="zip"),
        pytest.param(b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "kuva.jpg",
                     id="html-named-jpg"),
        pytest.param(b"  <html><head><title>x</title></head></html>", "sivu.txt", id="html-named-txt"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "kuva.svg", id="svg"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"garbage" * 50, "rikki.jpg", id="damaged-jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"garbage" * 20, "rikki.png",
                     id="damaged-png"),
        pytest.param(jpeg_with_exif()[:200], "katkennut.jpg", id="truncated-jpeg"),
        pytest.param(bytes(range(256)) * 4, "data.bin", id="binary"),
    ],
)
def test_refused_types(case, expert, data, name):
    assert_refused(case, data, name, actor=expert)


def test_empty_file_is_refused(case):
    assert_refused(case, b"", "tyhja.txt", match="empty")


@override_settings(ATTACHMENT_MAX_BYTES=1000)
def test_oversize_file_is_refused(case):
    assert_refused(case, b"a" * 1001, "iso.txt", match="too large")
    assert add(case, b"a" * 1000, "juuri-sopiva.txt").size == 1000


@override_settings(ATTACHMENT_MAX_BYTES=1000)
def test_file_lying_about_its_size_is_refused(case):
    lying = ContentFile(b"a" * 5000, name="valehtelija.txt")
    lying.size = 10

    with translation.override("en"), pytest.raises(InvalidInputError, match="too large"):
        services.attachment_add(case=case, uploaded_file=lying)
    assert not Attachment.objects.filter(case=case).exists()


@override_settings(ATTACHMENT_IMAGE_MAX_PIXELS=10_000)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("size", [(101, 100), (150, 150), (400, 400)])
def test_decompression_bomb_is_refused(case, size):
    image = Image.new("L", size, 0)
    out = io.BytesIO()
    image.save(out, format="PNG")

    assert_refused(case, out.getvalue(), "pommi.png", match="damaged or too large")


@override_settings(ATTACHMENT_IMAGE_MAX_PIXELS=10_000)
def test_image_at_the_pixel_limit_is_accepted(case):
    assert add(case, png_bytes(size=(100, 100)), "raja.png").content_type == "image/png"


# --- permissions and limits ---------------------------------------------------------------


def test_user_who_cannot_handle_the_case_cannot_add(case, city):
    audit_before = AuditEntry.objects.count()

    with pytest.raises(ActionNotAllowedError):
        add(case, MINIMAL_PDF, "liite.pdf", actor=city.users["parks_expert"])

    assert not Attachment.objects.filter(case=case).exists()
    assert AuditEntry.objects.count() == audit_before


def test_attachment_open_is_audited_and_permission_checked(case, city, expert):
    attachment = add(case, MINIMAL_PDF, "liite.pdf", actor=expert)

    opened = services.attachment_open(user=city.users["advisor"], attachment_id=attachment.pk)
    assert opened == attachment
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None
    assert (entry.action, entry.actor, entry.changes) == ("case.attachment_view", city.users["advisor"],
                                                          {"attachment": attachment.pk})

    audit_before = AuditEntry.objects.count()
    for user in (city.users["parks_expert"], city.users["east_viewer"]):
        with pytest.raises(NotFoundError):
            services.attachment_open(user=user, attachment_id=attachment.pk)
    with pytest.raises(NotFoundError):
        services.attachment_open(user=expert, attachment_id=attachment.pk + 1000)
    assert AuditEntry.objects.count() == audit_before
