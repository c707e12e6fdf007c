"""Small text helpers shared by stages."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_TRANSLITERATION = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "Ä": "Ae",
    "Ö": "Oe",
    "Ü": "Ue",
    "ß": "ss",
    "©": "(c)",
    "\u2013": "-",
    "\u2014": "-",
    "\u201e": '"',
    "\u201c": '"',
    "\u201d": '"',
}


def to_ascii(text: str) -> str:
    """ASCII for formats that allow nothing else (bext, cart, RIFF INFO, file names): German
    letters spelled out as Germans do, every other letter transliterated by anyascii (dotless i
    -> i, l with stroke -> l, d with stroke -> d, ayn -> `, Arabic or Cyrillic script into
    Latin letters), so no letter of a name is dropped (a Turkish "Aydin" with a dotless i once
    became "Aydn")."""
    # Composed first (a Mac's file names come decomposed): the table and anyascii map a letter
    # with its accents, not a lone combining mark.
    text = unicodedata.normalize("NFC", text)
    for letter, replacement in _TRANSLITERATION.items():
        text = text.replace(letter, replacement)
    return anyascii(text)


_SLUG_MAX = 60


def slugify(title: str) -> str:
    """A file-system and URL safe slug: ASCII, lower case, dashes; at most 60 characters, cut
    at a word boundary (a single word longer than that is cut where it must be)."""
    slug = re.sub(r"[^a-z0-9]+", "-", to_ascii(title).lower()).strip("-")
    if len(slug) > _SLUG_MAX:
        cut = slug[: _SLUG_MAX + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:_SLUG_MAX]
    return slug.strip("-") or "folge"


_URL_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def url_name(name: str) -> str:
    """The name in a published URL: a folder or file name where that is safe in a URL as it is
    (letters, digits, `.`, `_`, `-`), else a slug of it (`04 Gespräch` -> `04-gespraech`).
    For episodes it is recorded in podcast.lock at the first build and never changes."""
    return name if _URL_SAFE_NAME.fullmatch(name) else slugify(name)


# Bidirectional overrides and isolates reorder what a terminal shows ("Trojan source").
_BIDI_CONTROLS = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def terminal_safe(text: str) -> str:
    """`text` with every control character written as an escape (`\\x1b`, `\\n`, `\\u202e`), so
    a tag or file name cannot move the cursor, set the window title or write the clipboard."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) == "Cc" or ord(char) in _BIDI_CONTROLS
        else char
        for char in text
    )
