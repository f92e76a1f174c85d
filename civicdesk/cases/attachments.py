"""Attachment validation: by content (magic numbers), size-limited, images re-encoded without EXIF."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicdesk.core.errors import InvalidInputError

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
DOCUMENT_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/msword",
    "application/vnd.ms-excel",
}
TEXT_TYPE = "text/plain"
SNIFF_BYTES = 8192
SAFE_TEXT_SUFFIXES = (".txt", ".csv", ".log", ".md")
MARKUP_RE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<[a-zA-Z!?]|<\s*(?:script|iframe|svg|html)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ValidatedFile:
    content: ContentFile
    original_name: str
    content_type: str
    size: int
    sha256: str


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    if len(base) > 255:
        stem, dot, suffix = base.rpartition(".")
        # Keep a short extension when shortening, so the file still opens with the right program.
        base = f"{stem[: 254 - len(suffix)]}.{suffix}" if dot and len(suffix) <= 10 else base[:255]
    return base or "attachment"


def _looks_like_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        # Not final: the sniffed prefix may end in the middle of a multibyte character.
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def _looks_like_markup(data: bytes) -> bool:
    # HTML or SVG sent as "text" would run in a browser if a handler saved and opened it.
    return bool(MARKUP_RE.search(data))


def _strip_image(data: bytes, content_type: str) -> bytes:
    Image.MAX_IMAGE_PIXELS = settings.ATTACHMENT_IMAGE_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # Pillow only warns between the limit and twice the limit; refuse there too.
            if probe.width * probe.height > settings.ATTACHMENT_IMAGE_MAX_PIXELS:
                raise Image.DecompressionBombError("image has too many pixels")
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            if content_type == "image/gif" and getattr(opened, "is_animated", False):
                # Animated GIFs carry no EXIF; keep the frames as they are.
                return data
            image: Image.Image = ImageOps.exif_transpose(opened) or opened
            out = io.BytesIO()
            fmt = IMAGE_TYPES[content_type]
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            # Re-encoding without passing exif/icc info drops GPS position and camera data; Pillow
            # would carry a JPEG or GIF comment over from the original, so drop that too.
            image.info.pop("comment", None)
            if fmt in ("JPEG", "WEBP"):
                image.save(out, format=fmt, quality=90)
            else:
                image.save(out, format=fmt)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError) as exc:
        raise InvalidInputError(_("The image file is damaged or too large."), field="file") from exc


def attachment_validate(uploaded: UploadedFile | ContentFile, *, name: str | None = None) -> ValidatedFile:
    """Check size and real type of an upload; return cleaned content ready to store.

    The name's extension is never trusted: the type comes from the bytes.
    """
    size = uploaded.size or 0
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInputError(
            _("The file is too large (at most %(limit)s).") % {"limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
            field="file",
        )
    if size == 0:
        raise InvalidInputError(_("The file is empty."), field="file")
    uploaded.seek(0)
    data = uploaded.read(settings.ATTACHMENT_MAX_BYTES + 1)
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInputError(_("The file is too large."), field="file")
    kind = filetype.guess(data[:SNIFF_BYTES])
    content_type = kind.mime if kind else (TEXT_TYPE if _looks_like_text(data[:SNIFF_BYTES]) else "")
    if content_type == TEXT_TYPE and _looks_like_markup(data[:SNIFF_BYTES]):
        content_type = ""
    if content_type == "application/zip":
        content_type = ""
    if content_type in IMAGE_TYPES:
        data = _strip_image(data, content_type)
    elif content_type not in DOCUMENT_TYPES and content_type != TEXT_TYPE:
        raise InvalidInputError(
            _("This type of file is not accepted. Send images (JPEG, PNG, WebP, GIF), PDF, office documents "
              "or plain text."),
            field="file",
        )
    original_name = _safe_name(name or getattr(uploaded, "name", "") or "attachment")
    if content_type == TEXT_TYPE and not original_name.lower().endswith(SAFE_TEXT_SUFFIXES):
        # A script sent as text (.js, .bat, .ps1 …) is downloaded as a harmless .txt file.
        original_name = f"{original_name[:251]}.txt"
    return ValidatedFile(
        content=ContentFile(data),
        original_name=original_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
