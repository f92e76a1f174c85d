"""Reading an email message as mail clients really send it, without ever raising on bad input.

`email_parse(raw)` returns a `ParsedEmail`: the headers the threading needs, the plain text (from
the text part, else converted from HTML), that text trimmed of quoted history and signatures for
the timeline, the HTML sanitised with nh3, the files, what kind of automatic mail it is (bounce,
auto-reply, out-of-office, list) and the receiving MTA's SPF/DKIM/DMARC verdicts.

The standard library's `email` package with `policy.default` does the MIME work. What it leaves
to us: charsets that lie (ISO-8859-1 labels on Windows-1252 text), unknown charsets, headers it
cannot parse, and the habits of Outlook, Gmail and Apple Mail when they quote and forward.
"""

from __future__ import annotations

import contextlib
import email
import email.header
import email.parser
import email.utils
import functools
import logging
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from typing import Any

import nh3
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

logger = logging.getLogger(__name__)

# Labels that mean Windows-1252 in practice (the WHATWG encoding standard reads them so too).
CP1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "windows-1252", "cp1252"}
MAX_PARTS = 500  # more parts than any real message: the rest of a hostile one is not walked
MAX_TEXT_CHARS = 200_000
HEADER_MAX_CHARS = 998
MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,900}>")

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "div", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}
HTML_ATTRIBUTES = {
    "a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


# Header values longer than this are parsed each time rather than remembered (a hostile message's
# huge headers must not fill the cache).
HEADER_CACHE_MAX_CHARS = 2_000


class _ParsingPolicy(policy.EmailPolicy):
    """`policy.default`, except that each distinct header value is parsed once per process.

    The standard library parses a header anew every time it is read: `get_content_type()` alone
    reads Content-Type a dozen times per part while the parser walks a message, and that parsing
    was two thirds of the time of reading a typical message. Parsed headers are immutable strings,
    and mail repeats the same values ("text/plain; charset=utf-8"), so they are kept in an LRU cache
    keyed by name and value.
    """

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name") or not isinstance(value, str) or len(value) > HEADER_CACHE_MAX_CHARS:
            return super().header_fetch_parse(name, value)
        return _header_parsed(name, value)


POLICY = _ParsingPolicy()


@functools.lru_cache(maxsize=4096)
def _header_parsed(name: str, value: str) -> Any:
    return policy.EmailPolicy.header_fetch_parse(POLICY, name, value)


class AutoKind:
    """Why a message must never be answered (and usually never becomes a case)."""

    NONE = ""
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    OUT_OF_OFFICE = "out_of_office"
    LIST = "list"
    BULK = "bulk"


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class DeliveryFailure:
    recipient: str
    action: str
    status: str
    diagnostic: str


@dataclass
class Forwarded:
    """The message an expert forwarded from a personal mailbox (attached or quoted inline)."""

    sender_name: str
    sender_address: str
    subject: str
    text: str
    comment: str = ""  # what the forwarder wrote above the forwarded message


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender_name: str = ""
    sender_address: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: str = ""
    text: str = ""
    trimmed_text: str = ""
    # The HTML alternative as it came; `html` is it sanitised, made only when something reads it
    # (sanitising a long quoted history is a good share of the time of reading a message).
    raw_html: str = field(default="", repr=False)
    attachments: list[MailAttachment] = field(default_factory=list)
    auto_kind: str = AutoKind.NONE
    delivery_failures: list[DeliveryFailure] = field(default_factory=list)
    bounced_message_ids: list[str] = field(default_factory=list)
    authentication: dict[str, str] = field(default_factory=dict)
    forwarded: Forwarded | None = None
    has_calendar: bool = False
    defects: int = 0
    size: int = 0

    @functools.cached_property
    def html(self) -> str:
        """The HTML alternative sanitised with nh3 (`html_sanitise`): safe to show."""
        return html_sanitise(self.raw_html) if self.raw_html else ""

    @property
    def thread_ids(self) -> list[str]:
        """Message ids this message answers, the nearest first."""
        seen: list[str] = []
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            if mid not in seen:
                seen.append(mid)
        return seen


# --- headers ------------------------------------------------------------------------------


def _clean_line(value: str) -> str:
    """One line: header folding and injected line breaks become spaces, control characters go."""
    value = re.sub(r"[\r\n\t]+", " ", value)
    value = CONTROL_RE.sub("", value)
    return value.strip()[:HEADER_MAX_CHARS]


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot read: fall back to its raw text
        value = None
        for key, raw in message.raw_items() if hasattr(message, "raw_items") else []:
            if key.lower() == name.lower():
                value = str(raw)
                break
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if "=?" in value:
        with contextlib.suppress(Exception):  # an undecodable encoded word stays as it came
            value = str(email.header.make_header(email.header.decode_header(value)))
    return _clean_line(value)


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    values = []
    try:
        values = message.get_all(name) or []
    except Exception:
        values = []
    found = []
    try:
        pairs = email.utils.getaddresses([str(v) for v in values])
    except Exception:
        pairs = []
    for display, raw_address in pairs:
        address = _clean_line(raw_address).strip("<>").lower()
        if "@" in address and " " not in address and len(address) <= 254:
            found.append((_clean_line(display), address))
    return found


def _message_ids(value: str) -> list[str]:
    return MESSAGE_ID_RE.findall(value)[:100]


# --- bodies -------------------------------------------------------------------------------


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    if charset in CP1252_LABELS:
        try:
            return payload.decode("utf-8") if charset in {"ascii", "us-ascii"} else payload.decode("cp1252")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
CID_PLACEHOLDER_RE = re.compile(r"\[cid:[^\]\s]{1,200}\]")  # Outlook's plain-text trace of an inline image


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML mail body (lists, tables and line breaks kept)."""
    try:
        text = get_text(html[: MAX_TEXT_CHARS * 5], ParserConfig(css=CSS_PROFILES["relaxed"], display_images=False))
    except Exception:  # inscriptis gives up on some broken markup: strip the tags instead
        text = re.sub(r"<[^>]*>", " ", nh3.clean(html, tags=set()))
    return _normalise_text(text)


def _keep_src(tag: str, attribute: str, value: str) -> str | None:
    # Remote images are never fetched: only images carried in the message itself (cid:) stay.
    if tag == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


def html_sanitise(html: str) -> str:
    """HTML safe to show staff: no scripts, styles, event handlers, forms or remote images."""
    return nh3.clean(
        html[: MAX_TEXT_CHARS * 5], tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes={"http", "https", "mailto",
                                                                                           "cid"},
        link_rel="noopener noreferrer nofollow", attribute_filter=_keep_src, strip_comments=True,
    )


def _normalise_text(text: str) -> str:
    text = CID_PLACEHOLDER_RE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = CONTROL_RE.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()[:MAX_TEXT_CHARS]


# --- quoted history and signatures ---------------------------------------------------------

QUOTE_HEADER_PATTERNS = [
    # "On Mon, 3 Nov 2025 at 10.12, Maija <m@x> wrote:" and its translations (may wrap over two lines)
    r"^(On|Am|Le|El)\s.{0,300}?(wrote|schrieb|a écrit|escribió)\s*:\s*$",
    r"^.{0,300}?\s(kirjoitti|skrev|wrote|schrieb)(\s.{0,300})?:\s*$",
    r"^-{2,}\s*(Original Message|Alkuperäinen viesti|Ursprungligt meddelande|Originalmeddelande|"
    r"Ursprüngliche Nachricht)\s*-{2,}\s*$",
    r"^_{10,}\s*$",  # Outlook's line above its From:/Sent: block
    r"^(From|Lähettäjä|Från|Von):\s.{1,300}$\n^(Sent|Lähetetty|Skickat|Gesendet|Date|Päivämäärä|Datum):\s",
]
FORWARD_MARKERS = re.compile(
    r"^\s*(-{5,}\s*(Forwarded message|Välitetty viesti|Vidarebefordrat meddelande|Weitergeleitete Nachricht)"
    r"\s*-{5,}|Begin forwarded message:|Alku perään välitetty viesti:|Välitetty viesti alkaa:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
SIGNATURE_PATTERNS = [
    r"^-- ?$",
    r"^[ \t]*(Sent from my|Lähetetty (iPhonesta|iPadista|laitteesta|Android|Samsung)|Skickat från min|Von meinem|"
    r"Sent from Samsung)\b.{0,80}$",
    r"^(Get|Hanki|Skaffa) Outlook (for|for|för) (iOS|Android)\s*$",
    r"^Lähetetty Outlookista\b.*$",
]
_QUOTE_RES = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in QUOTE_HEADER_PATTERNS]
_SIGNATURE_RES = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in SIGNATURE_PATTERNS]
_QUOTED_LINE_RE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
TRIM_SEARCH_SLACK = 1_000


def text_trim(text: str) -> str:
    """The new part of a message: quoted history, quoted lines and the signature cut off.

    When trimming would leave nothing (a message that is all quote), the whole text is kept.
    """
    cut = len(text)
    for pattern in [*_QUOTE_RES, *_SIGNATURE_RES]:
        # Only a match before the present cut matters. A match is at most two lines of 300
        # characters, so searching up to TRIM_SEARCH_SLACK past the cut finds every such match
        # while a long quoted history is read once rather than once per pattern.
        found = pattern.search(text, 0, min(len(text), cut + TRIM_SEARCH_SLACK))
        if found and found.start() < cut:
            cut = found.start()
    trimmed = text[:cut]
    # A reply written below a quote (bottom-posting) keeps its own lines; only quoted ones go.
    trimmed = _QUOTED_LINE_RE.sub("", trimmed)
    trimmed = _normalise_text(trimmed)
    return trimmed or text.strip()


# --- automatic mail -----------------------------------------------------------------------

OUT_OF_OFFICE_SUBJECT = re.compile(
    r"^(automatic reply|auto(matic)?[- ]?reply|automaattinen vastaus|autosvar|automatiskt svar|out of (the )?office|"
    r"poissa toimistolta|poissa toimistosta|lomalla|abwesenheitsnotiz|r[ée]ponse automatique|absence)\b",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"^(undeliverable|undelivered mail|delivery status notification|mail delivery (failed|failure|system)|"
    r"returned mail|failure notice|toimitus epäonnistui|ei voitu toimittaa|olevererbart|kan inte levereras)",
    re.IGNORECASE,
)
DAEMON_SENDERS = ("mailer-daemon@", "postmaster@")


def _auto_kind(message: Message, subject: str, sender: str) -> str:
    content_type = _ctype(message)
    if content_type == "multipart/report":
        return AutoKind.BOUNCE
    if sender.startswith(DAEMON_SENDERS) or BOUNCE_SUBJECT.search(subject):
        return AutoKind.BOUNCE
    if _header(message, "X-Auto-Response-Suppress").lower() in {"all", "oof"} and OUT_OF_OFFICE_SUBJECT.search(
            subject):
        return AutoKind.OUT_OF_OFFICE
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return AutoKind.OUT_OF_OFFICE if OUT_OF_OFFICE_SUBJECT.search(subject) else AutoKind.AUTO_REPLY
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond") or _header(message, "X-Autoresponse"):
        return AutoKind.AUTO_REPLY
    if OUT_OF_OFFICE_SUBJECT.search(subject):
        return AutoKind.OUT_OF_OFFICE
    precedence = _header(message, "Precedence").lower()
    if precedence in {"list"} or _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return AutoKind.LIST
    if precedence in {"bulk", "junk", "auto_reply"}:
        return AutoKind.BULK
    return AutoKind.NONE


def _delivery_failures(message: Message) -> list[DeliveryFailure]:
    failures: list[DeliveryFailure] = []
    for part in _walk(message):
        if _ctype(part) != "message/delivery-status":
            continue
        # The per-recipient fields arrive as sub-"messages" of the part's payload.
        payload = part.get_payload()
        blocks: list[Any] = (payload if isinstance(payload, list)
                             else [email.message_from_string(str(payload), policy=policy.compat32)])
        for block in blocks:
            if not isinstance(block, Message):
                continue
            recipient = _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
            if not recipient:
                continue
            failures.append(DeliveryFailure(
                recipient=recipient.split(";", 1)[-1].strip().lower(), action=_header(block, "Action").lower(),
                status=_header(block, "Status"), diagnostic=_header(block, "Diagnostic-Code")[:500]))
    return failures


def _returned_message_ids(message: Message) -> list[str]:
    """Message-IDs of the mail a bounce returns (its text/rfc822-headers or message/rfc822 part)."""
    found: list[str] = []
    for part in _walk(message):
        content_type = _ctype(part)
        if content_type == "text/rfc822-headers":
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
            header = re.search(r"^Message-ID:\s*(<[^>]+>)", text, re.IGNORECASE | re.MULTILINE)
            if header:
                found.append(header.group(1))
        elif content_type == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                found += _message_ids(_header(inner[0], "Message-ID"))
    return found[:10]


AUTH_METHOD_RE = re.compile(r"\b(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)", re.IGNORECASE)


def authentication_results(message: Message, trusted_ids: frozenset[str] = frozenset()) -> dict[str, str]:
    """SPF, DKIM and DMARC verdicts of the receiving MTA, from its `Authentication-Results` header.

    Only the topmost header (the one our own MTA added last) counts, or, when `trusted_ids` is
    given, the topmost whose authserv-id is one of them: a sender can write any header below.
    """
    try:
        headers = [str(h) for h in message.get_all("Authentication-Results") or []]
    except Exception:
        headers = []
    for header in headers:
        authserv = header.split(";", 1)[0].strip().split()[0].lower() if header.strip() else ""
        if trusted_ids and authserv not in trusted_ids:
            continue
        verdicts: dict[str, str] = {"authserv_id": authserv[:200]}
        for method, result in AUTH_METHOD_RE.findall(header):
            verdicts.setdefault(method.lower(), result.lower())
        return verdicts
    return {}


def sender_verified(verdicts: dict[str, str]) -> bool | None:
    """Whether the receiving server verified the sender: DMARC's verdict when there is one, else DKIM or
    SPF passing. None when there are no verdicts (no trusted `Authentication-Results`)."""
    methods = {k: v for k, v in verdicts.items() if k != "authserv_id"}
    if not methods:
        return None
    if "dmarc" in methods:
        return methods["dmarc"] == "pass"
    return methods.get("dkim") == "pass" or methods.get("spf") == "pass"


# --- walking the MIME tree ----------------------------------------------------------------


def _ctype(part: Message) -> str:
    """`get_content_type()` from the raw header: the standard one parses the header anew on every call."""
    raw = next((str(v) for k, v in part.raw_items() if k.lower() == "content-type"), "")
    value = raw.split(";", 1)[0].strip().lower()
    return value if value.count("/") == 1 else "text/plain"


def _walk(message: Message) -> list[Message]:
    parts = []
    for index, part in enumerate(message.walk()):
        if index >= MAX_PARTS:
            break
        parts.append(part)
    return parts


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return _clean_line(str(name)).replace("/", "_").replace("\\", "_")[:200]


def _body_parts(message: Message) -> tuple[str, str]:
    """The message's own plain text and HTML (not those of attached messages)."""
    text, html = "", ""
    if isinstance(message, EmailMessage):
        try:
            plain_part = message.get_body(preferencelist=("plain",))
            html_part = message.get_body(preferencelist=("html",))
        except Exception:
            plain_part = html_part = None
        if plain_part is not None and plain_part.get_content_disposition() != "attachment":
            text = _decode(plain_part)
        if html_part is not None and html_part.get_content_disposition() != "attachment":
            html = _decode(html_part)
    if not text and not html and not message.is_multipart():
        content = _decode(message)
        if _ctype(message) == "text/html":
            html = content
        else:
            text = content
    return text, html


def _attachments(message: Message, body_parts: set[int]) -> tuple[list[MailAttachment], bool]:
    files: list[MailAttachment] = []
    has_calendar = False
    stack: list[Message] = [message]
    count = 0
    while stack and count < MAX_PARTS:
        part = stack.pop(0)
        count += 1
        content_type = _ctype(part)
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack[:0] = [child for child in children if isinstance(child, Message)]
            continue
        if id(part) in body_parts:
            continue
        if content_type in {"message/rfc822", "message/delivery-status"}:
            continue
        if content_type == "text/calendar":
            has_calendar = True
        disposition = part.get_content_disposition()
        name = _filename(part)
        if content_type.startswith("text/") and disposition != "attachment" and not name:
            continue  # an alternative body the walk did not pick, or a Content-Type-less text
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        content_id = _clean_line(str(part.get("Content-ID", "") or "")).strip("<>")[:200]
        files.append(MailAttachment(
            filename=name or ("invite.ics" if content_type == "text/calendar" else "attachment"),
            content_type=content_type, data=data, inline=disposition == "inline" or bool(content_id),
            content_id=content_id))
    return files, has_calendar


# --- forwards -----------------------------------------------------------------------------

FORWARD_FROM_RE = re.compile(r"^\s*\**(From|Lähettäjä|Från|Von|De)\**\s*:\s*\**(?P<value>.+?)\**\s*$",
                             re.IGNORECASE | re.MULTILINE)
FORWARD_SUBJECT_RE = re.compile(r"^\s*\**(Subject|Aihe|Ämne|Betreff|Objet)\**\s*:\s*(?P<value>.*)$",
                                re.IGNORECASE | re.MULTILINE)
FORWARD_SUBJECT_PREFIX = re.compile(r"^\s*((fw|fwd|vs|vl|wg|tr|vb)\s*:\s*)+", re.IGNORECASE)


OUTLOOK_FORWARD_MARKER = re.compile(r"^\s*(_{10,}|-{2,}\s*(Original Message|Alkuperäinen viesti|Ursprungligt "
                                    r"meddelande)\s*-{2,})\s*$", re.IGNORECASE | re.MULTILINE)


def _inline_forward(text: str, subject: str) -> Forwarded | None:
    marker = FORWARD_MARKERS.search(text)
    if marker is None and FORWARD_SUBJECT_PREFIX.search(subject):
        # Outlook forwards with the same line it quotes replies with; the FW: subject tells them apart.
        marker = OUTLOOK_FORWARD_MARKER.search(text)
    if marker is None:
        return None
    rest = text[marker.end():]
    header_block = rest[:2000]
    sender = FORWARD_FROM_RE.search(header_block)
    if sender is None:
        return None
    pairs = email.utils.getaddresses([sender.group("value").replace("[mailto:", "<").replace("]", ">")])
    name, address = pairs[0] if pairs else ("", "")
    if "@" not in address:
        return None
    subject_found = FORWARD_SUBJECT_RE.search(header_block)
    # The forwarded text starts after the first empty line of its header block.
    body_start = re.search(r"\n\s*\n", rest)
    body = rest[body_start.end():] if body_start else ""
    return Forwarded(sender_name=_clean_line(name), sender_address=address.strip().lower(),
                     subject=_clean_line(subject_found.group("value")) if subject_found else "",
                     text=_normalise_text(body), comment=_normalise_text(text[:marker.start()]))


def _attached_forward(message: Message) -> Forwarded | None:
    for part in _walk(message):
        if _ctype(part) != "message/rfc822":
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            continue
        senders = _addresses(inner, "From")
        if not senders:
            continue
        text, html = _body_parts(inner)
        return Forwarded(sender_name=senders[0][0], sender_address=senders[0][1], subject=_header(inner, "Subject"),
                         text=_normalise_text(text) or (html_to_text(html) if html else ""))
    return None


def subject_without_prefixes(subject: str) -> str:
    return _clean_line(re.sub(r"^\s*((re|sv|vs|aw|fw|fwd|vl|wg|tr)\s*:\s*)+", "", subject, flags=re.IGNORECASE))


# --- the entry point ----------------------------------------------------------------------


def email_parse(raw: bytes, *, trusted_authserv_ids: frozenset[str] = frozenset()) -> ParsedEmail:
    """Everything the channel needs from one raw message. Never raises on malformed input."""
    parsed = ParsedEmail(size=len(raw))
    try:
        message: Any = email.message_from_bytes(raw, policy=POLICY)
    except Exception:  # the parser itself gives up: keep what a lenient parser sees
        logger.warning("email: unparseable message of %d bytes", len(raw), exc_info=True)
        message = email.message_from_bytes(raw, policy=policy.compat32)
    parsed.defects = len(getattr(message, "defects", []) or [])
    _head_fields(parsed, message)
    try:
        text, html = _body_parts(message)
    except Exception:
        logger.warning("email: body of %s unreadable", parsed.message_id, exc_info=True)
        text, html = "", ""
    parsed.text = _normalise_text(text) if text.strip() else (html_to_text(html) if html else "")
    parsed.raw_html = html
    parsed.trimmed_text = text_trim(parsed.text) if parsed.text else ""
    body_ids: set[int] = set()
    if isinstance(message, EmailMessage):
        for kind in ("plain", "html"):
            try:
                found = message.get_body(preferencelist=(kind,))
            except Exception:
                found = None
            if found is not None:
                body_ids.add(id(found))
    if not message.is_multipart():
        body_ids.add(id(message))
    try:
        parsed.attachments, parsed.has_calendar = _attachments(message, body_ids)
    except Exception:
        logger.warning("email: attachments of %s unreadable", parsed.message_id, exc_info=True)
    parsed.auto_kind = _auto_kind(message, parsed.subject, parsed.sender_address)
    if parsed.auto_kind == AutoKind.BOUNCE:
        parsed.delivery_failures = _delivery_failures(message)
        parsed.bounced_message_ids = _returned_message_ids(message)
    parsed.authentication = authentication_results(message, trusted_authserv_ids)
    parsed.forwarded = _attached_forward(message) or _inline_forward(parsed.text, parsed.subject)
    if parsed.forwarded is not None and not parsed.forwarded.comment and parsed.forwarded.text not in parsed.text:
        parsed.forwarded.comment = parsed.trimmed_text  # forwarded as an attachment: the body is the comment
    return parsed


def email_head_parse(raw: bytes, *, trusted_authserv_ids: frozenset[str] = frozenset()) -> ParsedEmail:
    """`email_parse`'s header fields, its kind of automatic mail (as far as the headers tell) and the
    authentication verdicts, from the message's header alone; the body is neither read nor split
    into parts (what storing a message and refusing one for size need). Never raises."""
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end < 0 else end
    head = raw[: end if 0 <= end < HEAD_MAX_BYTES else HEAD_MAX_BYTES] + b"\n\n"
    parsed = ParsedEmail(size=len(raw))
    try:
        message: Any = email.parser.BytesParser(policy=POLICY).parsebytes(head, headersonly=True)
    except Exception:
        logger.warning("email: unparseable header of a message of %d bytes", len(raw), exc_info=True)
        message = email.parser.BytesParser(policy=policy.compat32).parsebytes(head, headersonly=True)
    parsed.defects = len(getattr(message, "defects", []) or [])
    _head_fields(parsed, message)
    parsed.auto_kind = _auto_kind(message, parsed.subject, parsed.sender_address)
    parsed.authentication = authentication_results(message, trusted_authserv_ids)
    return parsed


# The longest header `email_head_parse` reads; a message whose header is longer is cut there.
HEAD_MAX_BYTES = 262_144


def _head_fields(parsed: ParsedEmail, message: Message) -> None:
    senders = _addresses(message, "From")
    if senders:
        parsed.sender_name, parsed.sender_address = senders[0]
    reply_to = _addresses(message, "Reply-To")
    parsed.reply_to = reply_to[0][1] if reply_to else ""
    parsed.to = [a for _, a in _addresses(message, "To")][:100]
    parsed.cc = [a for _, a in _addresses(message, "Cc")][:100]
    parsed.subject = _header(message, "Subject")
    parsed.date = _header(message, "Date")
    ids = _message_ids(_header(message, "Message-ID"))
    parsed.message_id = ids[0] if ids else ""
    parsed.in_reply_to = _message_ids(_header(message, "In-Reply-To"))
    parsed.references = _message_ids(_header(message, "References"))
