"""The seams the next features build on: a new site-level output, tag field or chapters format
is one entry in one list; `podcast` starts without the stages it does not run; `podcast init`
writes every sound key."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import TCOM

from podcast.errors import Problem
from podcast.outputs import site, tag_fields
from podcast.outputs.alternate_tags import tag_alternate
from podcast.outputs.id3 import write_id3
from podcast.outputs.site_context import SiteContext
from podcast.outputs.tag_fields import EpisodeTags, TagField
from podcast.outputs.writer import OutputWriter
from podcast.scaffold import SHOW_TEMPLATE
from podcast.show import chapter_files
from podcast.show.chapter_files import ChapterReader, Refuse, read_chapters_file
from podcast.show.images import load_cover
from podcast.show.loader import load_show
from podcast.show.schema import AudioSettings

from .helpers import ffprobe_tags


class SearchIndex:
    """What a site search index would be: one module, one entry in SITE_OUTPUTS."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        entries = [{"title": r.episode.meta.title, "slug": r.episode.slug} for r in site.public]
        writer.write("search.json", json.dumps(entries, ensure_ascii=False))


class PartnerFeed:
    """What a feed for one partner would be: one class, one entry in FEED_OUTPUTS."""

    name = "partner.xml"

    def feed(self, site: SiteContext) -> bytes | None:
        return f"<rss><channel><title>{site.show.config.title}</title></channel></rss>".encode()


def test_a_new_site_output_or_feed_is_one_entry_in_its_list(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The site of a show without episodes yet: no audio to render, the same outputs.
    show = load_show(demo)
    cover = load_cover(show.cover)
    writer = OutputWriter(tmp_path / "staging", tmp_path / "out", {})
    monkeypatch.setattr(site, "SITE_OUTPUTS", (*site.SITE_OUTPUTS, SearchIndex()))
    monkeypatch.setattr(site, "FEED_OUTPUTS", (*site.FEED_OUTPUTS, PartnerFeed()))
    feeds = site.write_feeds(show, [], cover, writer)
    site.render_site(show, [], cover, writer)
    assert sorted(feeds) == ["feed.xml", "partner.xml", "radio.xml"]
    assert feeds["partner.xml"] == (tmp_path / "staging/partner.xml").read_bytes()
    assert json.loads((tmp_path / "staging/search.json").read_text()) == []
    # The others are still written, each by its entry.
    pages = [f"{page.name}.html" for page in show.pages]
    for name in ("index.html", "style.css", "favicon.ico", *pages):
        assert name in writer.written, name


def _tags() -> EpisodeTags:
    return EpisodeTags(
        title="Titel",
        artist="Redaktion",
        show="Die Sendung",
        number=3,
        season=None,
        date="2026-01-02",
        language="de",
        summary="Worum es geht",
        description="Beschreibung",
        copyright="© 2026",
        page_url="https://example.org/e.html",
        feed_url="https://example.org/feed.xml",
        guid="g",
        cover_jpeg=b"\xff\xd8\xff\xe0" + bytes(64),
        loudness_lufs=-16,
        true_peak_dbtp=-1.5,
    )


def test_a_new_tag_field_is_one_row_for_every_format(
    synth: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    composer = TagField(
        "composer",
        lambda tags: "Anna Beispiel",
        id3=lambda value, tags: [TCOM(encoding=1, text=value)],
        ffmetadata="composer",
    )
    monkeypatch.setattr(tag_fields, "TAG_FIELDS", (*tag_fields.TAG_FIELDS, composer))
    mp3 = synth("a.mp3", "sine=f=300", 1, rate=44100)
    write_id3(mp3, _tags())
    import eyed3

    tag = eyed3.load(str(mp3)).tag
    assert tag.frame_set[b"TCOM"][0].text == "Anna Beispiel"
    assert tag.title == "Titel" and tag.album == "Die Sendung"  # the table's other rows
    for suffix, style, extra in ((".m4a", "mp4", ("-c:a", "aac")), (".opus", "ogg", ())):
        source = synth(f"a{suffix}", "sine=f=300", 1, extra=extra)
        target = source.with_name(f"tagged{suffix}")
        tag_alternate(source, target, style, _tags())
        read = ffprobe_tags(target)[0]
        assert read["composer"] == "Anna Beispiel", suffix
        assert read["title"] == "Titel" and read["album"] == "Die Sendung", suffix


def test_every_text_field_of_the_table_reaches_the_alternates(synth: Callable[..., Path]) -> None:
    """Each row with an FFMETADATA key is read back from an Opus file by ffprobe."""
    source = synth("a.opus", "sine=f=300", 1)
    target = source.with_name("tagged.opus")
    tag_alternate(source, target, "ogg", _tags())
    read = ffprobe_tags(target)[0]
    for row in tag_fields.TAG_FIELDS:
        if row.ffmetadata is not None:
            assert read.get(row.ffmetadata) == str(row.value(_tags())), row.name


CUE_LINE = re.compile(r'^\s*TITLE "(?P<title>.*)"\s*$|^\s*INDEX 01 (?P<m>\d+):(?P<s>\d+):\d+\s*$')


def _cue_sheet(path: Path, text: str, refuse: Refuse, problems: list[Problem]) -> list[Any]:
    """A CD cue sheet's tracks as chapters (what a new format's reader looks like)."""
    items, title = [], ""
    for number, line in enumerate(text.splitlines(), start=1):
        found = CUE_LINE.match(line)
        if found and found["title"] is not None:
            title = found["title"]
        elif found:
            start = int(found["m"]) * 60 + int(found["s"])
            items.append(
                (number, {"start": float(start), "title": title, "url": None, "img": None})
            )
    return items


def test_a_new_chapters_format_is_one_reader_in_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cue = ChapterReader("CD cue sheet", lambda path, text, lines: path.suffix == ".cue", _cue_sheet)
    # Before the catch-all reader of `HH:MM:SS Title` lines, which is last.
    readers = chapter_files.CHAPTER_READERS
    monkeypatch.setattr(chapter_files, "CHAPTER_READERS", (*readers[:-1], cue, readers[-1]))
    path = tmp_path / "chapters.cue"
    path.write_text(
        'FILE "x.wav" WAVE\n  TRACK 01 AUDIO\n    TITLE "Anfang"\n    INDEX 01 00:00:00\n'
        '  TRACK 02 AUDIO\n    TITLE "Mitte"\n    INDEX 01 01:30:00\n'
    )
    problems: list[Problem] = []
    items = read_chapters_file(path, problems)
    assert problems == []
    assert [(i["start"], i["title"]) for _, i in items] == [(0.0, "Anfang"), (90.0, "Mitte")]
    assert chapter_files.chapter_format(path, path.read_text()) == "CD cue sheet"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("chapters.json", '{"chapters": []}', chapter_files.JSON_FORMAT),
        ("labels.txt", "1.5\t1.5\tA\n", chapter_files.AUDACITY_FORMAT),
        ("markers.csv", "#,Name,Start\nM1,A,0:00\n", chapter_files.REAPER_FORMAT),
        ("c.txt", "CHAPTER01=00:00:00.000\nCHAPTER01NAME=A\n", chapter_files.OGM_FORMAT),
        ("c.txt", "00:00 A\n", chapter_files.TEXT_FORMAT),
    ],
)
def test_each_format_is_recognised_by_its_own_reader(name: str, text: str, expected: str) -> None:
    assert chapter_files.chapter_format(Path(name), text) == expected


def test_init_writes_every_sound_key_with_its_default() -> None:
    """Every [audio] key is in the template, commented out at the value that holds without it
    (the files and encodings are examples: they have no default)."""
    audio = SHOW_TEMPLATE[SHOW_TEMPLATE.index("[audio]") :].split("\n[", 1)[0]
    audio = audio.replace("{{", "{").replace("}}", "}")  # as `podcast init` writes it
    written = {}
    for line in audio.splitlines():
        found = re.match(r"^# (\w+) = (.+?)(\s+#.*)?$", line)
        if found:
            written[found[1]] = tomllib.loads(f"v = {found[2]}")["v"]
    for name, field in AudioSettings.model_fields.items():
        assert name in written, name
        if field.default not in (None, ()):
            assert written[name] == field.default, name
        elif name == "bitrate_kbps":
            assert written[name] == AudioSettings().mp3_bitrate  # the stereo default


def test_the_command_starts_without_the_stages_it_does_not_run() -> None:
    """`import podcast.cli` (what `podcast --help` and every command pay) loads neither the
    stages nor Pillow, pydantic or numpy: each command imports what it runs."""
    heavy = ("podcast.publish", "podcast.audio", "podcast.outputs", "podcast.show", "PIL")
    heavy += ("pydantic", "numpy", "jinja2", "mutagen")
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, podcast.cli; print('\\n'.join(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert [m for m in loaded if m.startswith(heavy)] == []
