"""The translation catalogues and the marking of user-facing text.

Officers read Liaison in English, French, Dutch, German and Spanish. A translation that
drops or renames a placeholder (``%(reference)s``, ``{name}``) crashes the page or says the
wrong thing; a string a template shows without ``{% translate %}`` can never be translated.
These checks fail on either, and on a compiled catalogue that is older than its source.
"""

from __future__ import annotations

import ast
import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

BASE = Path(settings.BASE_DIR)
LOCALES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|(?<!\{)\{(\w+)\}(?!\})")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def _catalogue(path: Path) -> dict:
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]


def _plural_ids(po: Path) -> dict[str, str]:
    """msgid -> msgid_plural of the plural entries of a .po file (a compiled catalogue
    keeps only the singular id)."""

    def text(block: str) -> str:
        return "".join(ast.literal_eval(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', block))

    found = {}
    pattern = r'^msgid ((?:"[^\n]*"\n)+)msgid_plural ((?:"[^\n]*"\n)+)'
    for singular, plural in re.findall(pattern, po.read_text(), re.M):
        found[text(singular)] = text(plural)
    return found


@pytest.mark.parametrize("language", LOCALES)
def test_every_language_of_the_portal_has_a_compiled_catalogue(language):
    assert (BASE / "locale" / language / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.parametrize("language", LOCALES)
def test_translations_keep_the_placeholders_of_their_message(language):
    catalogue = _catalogue(BASE / "locale" / language / "LC_MESSAGES" / "django.mo")
    plurals = _plural_ids(BASE / "locale" / language / "LC_MESSAGES" / "django.po")
    assert "%(n)d day" in plurals  # the parser found the plural entries
    wrong = []
    for key, translated in catalogue.items():
        if not translated or key == "":
            continue
        if isinstance(key, tuple):  # (msgid, plural index): any form may name the count
            msgid = key[0].split("\x04")[-1]
            wanted = _placeholders(msgid) | _placeholders(plurals.get(msgid, ""))
            if not _placeholders(translated) <= wanted:
                wrong.append((msgid, translated))
            continue
        msgid = key.split("\x04")[-1]  # drop a context
        if _placeholders(msgid) != _placeholders(translated):
            wrong.append((msgid, translated))
    assert not wrong, f"{language}: translations with other placeholders: {wrong[:5]}"


@pytest.mark.parametrize("language", LOCALES)
def test_the_compiled_catalogue_matches_its_source(language, tmp_path):
    source = BASE / "locale" / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(source)], check=True)
    assert _catalogue(compiled) == _catalogue(source.with_suffix(".mo")), (
        f"locale/{language}/LC_MESSAGES/django.mo is stale: run `make messages`"
    )


# --- Marking -------------------------------------------------------------------------------

TEMPLATE_DIRS = [
    *BASE.glob("portal/**/templates"),
    *BASE.glob("cases/**/templates"),
    *BASE.glob("reports/**/templates"),
]
# Words that are names, not language: the product, protocols, codes.
NOT_LANGUAGE = re.compile(
    r"^(Liaison|API|OpenAPI|TOTP|SHA-?|MD|PDQ|PDF|CSV|JSON|ZIP|UTC|ID|URL|IP|B|KB|MB|"
    r"Authorization|Bearer|lia|Request-ID|PAdES|B-B|B-T|B-LT|B-LTA|RFC|XML|XSD)$"
)
MARK = "\x00"
VISIBLE_ATTRS = re.compile(r'\b(title|aria-label|placeholder|alt)="([^"\x00]*)"')
TAG = re.compile(r"<[^>]*>")
WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]+")
# Templates whose text is not read by people as a page (machine formats, e-mail subjects
# that are rendered through gettext elsewhere) would be listed here with a reason.
EXEMPT_TEMPLATES: dict[str, str] = {}


def _unmarked_text(path: Path) -> list[str]:
    """Visible text of a template that no translation tag covers: the template is rebuilt
    with every variable, tag and translated block replaced by a marker, then the HTML tags
    (and script/style bodies) are removed; words left over were typed in plain English."""
    parts: list[str] = []
    inside = 0  # inside {% blocktranslate %}, {% comment %} or a block of CSS class names
    for token in Lexer(path.read_text()).tokenize():
        if token.token_type == TokenType.BLOCK:
            words = token.contents.split()
            name = words[0] if words else ""
            if name in {"blocktranslate", "blocktrans", "comment"} or words == [
                "block",
                "body_class",
            ]:
                inside += 1
            elif name in {"endblocktranslate", "endblocktrans", "endcomment"} or (
                name == "endblock" and inside
            ):
                inside -= 1
            parts.append(MARK)
        elif token.token_type == TokenType.TEXT and not inside:
            parts.append(token.contents)
        else:
            parts.append(MARK)
    page = "".join(parts)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    found = []
    for _attr, value in VISIBLE_ATTRS.findall(page):
        if [w for w in WORD.findall(value) if not NOT_LANGUAGE.match(w)]:
            found.append(value.strip())
    text = re.sub(r"&\w+;|&#\d+;", " ", TAG.sub(" ", page))
    for chunk in text.split(MARK):
        words = [w for w in WORD.findall(chunk) if not NOT_LANGUAGE.match(w)]
        if words:
            found.append(" ".join(chunk.split())[:60])
    return found


def test_every_text_a_template_shows_is_marked_for_translation():
    problems = {}
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            relative = str(path.relative_to(BASE))
            if relative in EXEMPT_TEMPLATES:
                continue
            unmarked = _unmarked_text(path)
            if unmarked:
                problems[relative] = unmarked[:3]
    assert not problems, f"text outside {{% translate %}}: {problems}"


# Calls whose first argument a person reads: it must be a gettext call, not a plain string.
MESSAGE_CALLS = {"ValidationError", "success", "error", "warning", "info", "PermissionDenied"}


def _plain_messages(path: Path, base: Path = BASE) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in MESSAGE_CALLS:
            continue
        args = node.args[1:] if name in {"success", "error", "warning", "info"} else node.args
        first = args[0] if args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
            found.append(f"{path.relative_to(base)}:{node.lineno}")
        if isinstance(first, ast.Dict):
            for value in first.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found.append(f"{path.relative_to(base)}:{node.lineno}")
    return found


def test_messages_people_read_are_marked_for_translation():
    problems = []
    for package in ("portal", "cases", "reports"):
        for path in (BASE / package).rglob("*.py"):
            if "migrations" in path.parts or "management" in path.parts:
                continue
            problems.extend(_plain_messages(path))
    assert not problems, f"unmarked messages: {problems[:10]}"


def test_the_checks_find_unmarked_text(tmp_path):
    template = tmp_path / "page.html"
    template.write_text(
        '{% load i18n %}<h1 title="{% translate "Fine" %}">{% translate "Marked" %}</h1>'
        "{% blocktranslate %}Also {{ marked }}{% endblocktranslate %}"
        '<p class="x {{ y }}">Plain English</p><input placeholder="Type here">'
    )
    assert _unmarked_text(template) == ["Type here", "Plain English"]
    module = tmp_path / "module.py"
    module.write_text(
        "from django.utils.translation import gettext as _\n"
        "ValidationError(_('fine'))\n"
        "ValidationError({'field': 'not marked'})\n"
        "messages.success(request, 'Saved.')\n"
    )
    assert _plain_messages(module, tmp_path) == ["module.py:3", "module.py:4"]
