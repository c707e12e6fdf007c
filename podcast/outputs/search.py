"""The site's full-text search: every public episode's notes and transcript, sentence by
sentence, each with the moment it is said, in a static index the search page reads.

The index is inside the page (a JSON data block) rather than files fetched at run time, so the
search works from file:// too, where browsers refuse fetch() and WebAssembly (Pagefind, the
usual static index, needs both), and the site loads no script from elsewhere. Words are
stemmed at build time with the Snowball stemmer of the show's language (German:
Ausländerbeiräte and Ausländerbeirats find Ausländerbeirat); the page maps a query word to the
stems of the words the index knows (the same form, then known stems it begins with, then
words it begins)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import snowballstemmer
from markdown_it import MarkdownIt

from podcast.outputs import urls
from podcast.outputs.transcripts import sentences

if TYPE_CHECKING:
    from podcast.outputs.site_context import SiteContext
    from podcast.outputs.writer import OutputWriter

WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Snowball's stemmers by language subtag (those podcast shows are most often in).
STEMMERS = {
    "de": "german",
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "tr": "turkish",
    "pl": "polish",
    "pt": "portuguese",
    "ru": "russian",
    "ar": "arabic",
}


def _plain_paragraphs(markdown: str) -> list[str]:
    """The notes as plain text, paragraph by paragraph (no markup, no link targets)."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    out = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            # A line break inside a paragraph separates words as a space does.
            text = "".join(
                " " if c.type in ("softbreak", "hardbreak") else c.content
                for c in token.children
                if c.type in ("text", "code_inline", "softbreak", "hardbreak")
            )
            if text.strip():
                out.append(" ".join(text.split()))
    return out


def search_index(site: SiteContext) -> dict[str, Any]:
    """The index: episodes (title, page), entries [episode, seconds or -1, text, stems] and
    the known word forms with their stems."""
    language = site.show.config.language.split("-")[0].lower()
    stemmer = snowballstemmer.stemmer(STEMMERS.get(language, "porter"))
    forms: dict[str, str] = {}
    episodes, entries = [], []

    def stems(text: str) -> list[str]:
        found = []
        for word in WORD.findall(text.lower()):
            if word not in forms:
                forms[word] = stemmer.stemWord(word)
            found.append(forms[word])
        return sorted(set(found))

    for number, item in enumerate(site.in_order):
        episode = item.episode
        episodes.append([episode.meta.title, urls.episode_page(episode)])
        entries.append([number, -1, episode.meta.title, stems(episode.meta.title)])
        for paragraph in _plain_paragraphs(episode.notes_markdown):
            entries.append([number, -1, paragraph, stems(paragraph)])
        for start, sentence in sentences(item.transcript_cues):
            entries.append([number, round(start, 1), sentence, stems(sentence)])
    return {"episodes": episodes, "entries": entries, "forms": dict(sorted(forms.items()))}


class SearchPage:
    """search.html, with its index inside (a JSON data block)."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        index = json.dumps(search_index(site), ensure_ascii=False, separators=(",", ":"))
        # "</" never appears in the block: a transcript cannot end it early.
        index = index.replace("</", "<\\/")
        page = site.env.get_template("search.html").render(root="", index=index, **site.common)
        writer.write(urls.SEARCH_PAGE, page)
