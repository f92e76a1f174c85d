"""The Finnish and Swedish catalogues are complete, consistent and compiled.

The .po files are parsed here by a small reader (no polib, no gettext tools needed), and the
committed .mo files are read with the standard library's `gettext`, so that a stale .mo (one
not recompiled after its .po changed) fails the test run on any machine.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
TRANSLATED_LANGUAGES = ("fi", "sv")

# %(name)s, %(limit)d, %s, %d … ("%%" is a literal percent sign, not a placeholder).
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[sdifeEgGxXocr]")
# {{ counter }} (template variables) and {name} / {0} (str.format).
BRACE_PLACEHOLDER = re.compile(r"\{\{\s*[\w.]+\s*\}\}|\{[\w.]*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    def translations(self) -> list[tuple[str, str]]:
        """(source, translation) pairs: singular against msgid, other plural forms against msgid_plural."""
        if self.msgid_plural is None:
            return [(self.msgid, self.msgstr)]
        return [(self.msgid if n == 0 else self.msgid_plural, text) for n, text in sorted(self.msgstr_plural.items())]


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """Every active entry of a .po file (obsolete `#~` entries are skipped), header included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current is not None and target is not None:
                finish()  # a comment after an entry's strings starts the next entry
            current = current or Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert current is not None, f"{path}:{number}: continuation with no keyword"
            assert target is not None, f"{path}:{number}: continuation with no keyword"
            name, index = target
            if name == "msgstr" and index is not None:
                current.msgstr_plural[index] += _unquote(line)
            else:
                setattr(current, name, (getattr(current, name) or "") + _unquote(line))
            continue
        keyword, _, value = line.partition(" ")
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if current is None or (keyword in ("msgctxt", "msgid") and target is not None and target[0] != "msgctxt"):
            finish()
            current = Entry(line=number)
        if match:
            index = int(match.group(1))
            current.msgstr_plural[index] = _unquote(value)
            target = ("msgstr", index)
        elif keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            setattr(current, keyword, _unquote(value))
            target = (keyword, None)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def _catalogue(language: str) -> list[Entry]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing: run `make messages`"
    return parse_po(path)


def _messages(language: str) -> list[Entry]:
    return [entry for entry in _catalogue(language) if entry.msgid != "" or entry.msgctxt is not None]


def _placeholders(text: str) -> list[str]:
    text = text.replace("%%", "")
    return sorted(PERCENT_PLACEHOLDER.findall(text) + [re.sub(r"\s+", "", p) for p in BRACE_PLACEHOLDER.findall(text)])


def test_parser_reads_plural_context_and_multiline_entries(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: fi\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"%(n)s long "\n"text"\nmsgstr "%(n)s pitkä teksti"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr "Avaa"\n'
        'msgid "%(counter)s case"\nmsgid_plural "%(counter)s cases"\nmsgstr[0] "%(counter)s tapaus"\n'
        'msgstr[1] ""\n"%(counter)s tapausta"\n\n#~ msgid "Old"\n#~ msgstr "Vanha"\n',
        encoding="utf-8",
    )
    header, long_text, menu, plural = parse_po(po)
    assert header.msgid == ""
    assert "Language: fi" in header.msgstr
    assert (long_text.msgid, long_text.msgstr) == ("%(n)s long text", "%(n)s pitkä teksti")
    assert {"fuzzy", "python-format"} <= long_text.flags
    assert (menu.key, menu.msgstr) == ("menu\x04Open", "Avaa")
    assert plural.msgstr_plural == {0: "%(counter)s tapaus", 1: "%(counter)s tapausta"}


@pytest.mark.parametrize("language", list(TRANSLATED_LANGUAGES))
def test_catalogue_header(language: str) -> None:
    header = _catalogue(language)[0]
    assert header.msgid == ""
    assert f"Language: {language}\n" in header.msgstr
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr
    assert "charset=UTF-8" in header.msgstr
    assert "fuzzy" not in header.flags


@pytest.mark.parametrize("language", list(TRANSLATED_LANGUAGES))
def test_every_message_is_translated_and_checked(language: str) -> None:
    messages = _messages(language)
    assert len(messages) > 100
    untranslated = [entry.msgid for entry in messages if not all(text for _source, text in entry.translations())]
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    missing_plural_forms = [
        entry.msgid for entry in messages if entry.msgid_plural is not None and sorted(entry.msgstr_plural) != [0, 1]
    ]
    assert untranslated == [], f"untranslated in {language}: {untranslated}"
    assert fuzzy == [], f"fuzzy (unchecked) in {language}: {fuzzy}"
    assert missing_plural_forms == [], f"wrong number of plural forms in {language}: {missing_plural_forms}"


@pytest.mark.parametrize("language", list(TRANSLATED_LANGUAGES))
def test_placeholders_match(language: str) -> None:
    mismatched = [
        (entry.line, source, text)
        for entry in _messages(language)
        for source, text in entry.translations()
        if text and _placeholders(source) != _placeholders(text)
    ]
    assert mismatched == [], f"placeholders differ in {language}: {mismatched}"


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_compiled_catalogue_is_up_to_date(language: str) -> None:
    """The committed .mo holds exactly the .po's translations: recompile after editing a .po."""
    mo_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"
    assert mo_path.is_file(), f"{mo_path} is missing: run `make messages`"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    expected: dict[object, str] = {}
    for entry in _messages(language):
        if entry.msgid_plural is None:
            if entry.msgstr:
                expected[entry.key] = entry.msgstr
        elif all(entry.msgstr_plural.values()):
            expected.update({(entry.key, n): text for n, text in entry.msgstr_plural.items()})
    actual = {key: value for key, value in compiled.items() if key != ""}
    assert actual == expected, f"{mo_path} is stale: run `make messages` (or compilemessages)"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fi", "Suljettu"), ("sv", "Stängd"), ("en", "Closed")],
)
def test_gettext_uses_the_catalogues(language: str, expected: str) -> None:
    with translation.override(language):
        assert translation.gettext("Closed") == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fi", ["2 tapausta", "1 tapaus"]), ("sv", ["2 ärenden", "1 ärende"])],
)
def test_plural_forms(language: str, expected: list[str]) -> None:
    with translation.override(language):
        assert [
            translation.ngettext("%(counter)s case", "%(counter)s cases", n) % {"counter": n} for n in (2, 1)
        ] == expected


@pytest.mark.django_db
def test_login_page_in_finnish(client) -> None:
    # Finnish is the default language: its URLs have no prefix.
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fi"
    html = response.content.decode()
    assert "Kirjaudu sisään" in html
    assert "Käyttäjätunnus" in html
    assert "Salasana" in html
    assert '<html lang="fi">' in html


@pytest.mark.django_db
def test_login_page_in_swedish(client) -> None:
    # Other languages are chosen by the URL prefix (i18n_patterns, prefix_default_language=False).
    response = client.get("/sv/accounts/login/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "sv"
    html = response.content.decode()
    assert "Logga in" in html
    assert "Användarnamn" in html
    assert "Lösenord" in html
    assert "Kirjaudu" not in html


@pytest.mark.django_db
def test_login_page_in_english(client) -> None:
    response = client.get("/en/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Log in" in html
    assert "Username" in html
