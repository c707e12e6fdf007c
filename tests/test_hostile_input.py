"""Hostile input, third round (issue 23, items 9 to 15): what editors' files can hold that
once hung, crashed or was published wrong. Loader errors are checked in-process; the alias
bomb through the command line (exit 1, no traceback, at once); the phone video and the full
disk as real builds of a one-episode show."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from mutagen.id3 import CTOC, ID3

from podcast.audio.timeline import Piece, Timeline, place_chapters
from podcast.build import build
from podcast.errors import PodcastError
from podcast.outputs import alternate_tags
from podcast.outputs.chapters import id3_frames, timed
from podcast.outputs.context import published_chapters
from podcast.show.loader import load_show
from podcast.show.model import ChapterMark
from podcast.show.vocabularies import ID3_MAX_CHAPTERS

from .conftest import copy_demo
from .helpers import edit, refused, small_disk, synthesise

EP1 = "episodes/01-leipzig-migrantenbeirat"
EP3 = "episodes/03-zu-gast-im-jugendbeirat"
DATE = "date: 2026-09-10T18:00:00+02:00"
CHAPTERS = """chapters:
  - start: "00:00"
    title: Begrüßung und Vorstellung des Beirats
  - start: "00:12"
    title: Delegierte in den anderen Beiräten
  - start: "00:24"
    title: Was sich verändert hat
"""


def chapters_file(show: Path, name: str, data: bytes) -> Path:
    """Episode 3's chapters as the file `name` holding `data`."""
    path = show / EP3 / name
    path.write_bytes(data)
    edit(show / EP3 / "episode.md", "chapters: chapters.txt", f"chapters: {name}")
    (show / EP3 / "chapters.txt").unlink()
    return path


# --- 9: the alias bomb -------------------------------------------------------------------

# Nine levels of nine: 387 million strings once expanded.
BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{before}'] * 9)}]\n"
    for before, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_an_alias_bomb_in_episode_and_page_front_matter_is_refused_at_once(demo: Path) -> None:
    edit(demo / EP1 / "episode.md", "number: 1\n", "number: 1\n" + BOMB)
    page = demo / "pages/impressum.md"
    page.write_text("---\ntitle: Impressum\n" + BOMB + "---\n" + page.read_text("utf-8"), "utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "podcast", "check", str(demo)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "episode.md:4: a YAML anchor (&a): front matter takes no anchors" in result.stderr
    assert "impressum.md:3: a YAML anchor (&a)" in result.stderr, result.stderr
    assert "write the value out in full" in result.stderr


def test_an_alias_alone_is_refused_with_its_line(demo: Path) -> None:
    edit(demo / EP1 / "episode.md", "number: 1\n", "number: 1\nx_summary: *nirgends\n")
    assert "episode.md:4: a YAML alias (*nirgends)" in refused(demo)


# --- 11: dates ----------------------------------------------------------------------------


def unreal(date: str, reason: str) -> tuple[str, str]:
    return date, f"'{date.strip(chr(39))}' is not a real date and time ({reason})"


BAD_DATES = [
    unreal("2026-02-30T18:00:00+02:00", "day is out of range for month"),
    unreal("'2026-02-30T18:00:00+02:00'", "day is out of range for month"),
    unreal("0000-01-01T18:00:00+02:00", "year 0 is out of range"),
    unreal("2026-09-10T25:00:00+02:00", "hour must be in 0..23"),
    unreal("2026-09-10T18:00:00+25:00", "a time zone offset lies between -23:59 and +23:59"),
    ("20260910", "20260910 is a number, not a date and time"),
    ("0001-01-01T00:00:00+00:00", "the year 1 is not between 1900 and 2999"),
    ("9999-12-31T23:59:59-12:00", "the year 9999 is not between 1900 and 2999"),
]


@pytest.mark.parametrize(("date", "message"), BAD_DATES, ids=[d for d, _ in BAD_DATES])
def test_impossible_and_digits_only_dates_are_refused_with_the_format(
    demo: Path, date: str, message: str
) -> None:
    edit(demo / EP1 / "episode.md", DATE, f"date: {date}")
    problem = refused(demo)
    assert f"episode.md:5: date: {message}" in problem, problem
    assert "write date and time with a time zone, e.g. 2026-03-12T18:00:00+01:00" in problem


def test_an_impossible_radio_release_and_page_date_are_refused(demo: Path) -> None:
    edit(demo / EP1 / "episode.md", DATE, f"{DATE}\nradio_release: 2026-02-29T08:00:00+01:00")
    page = demo / "pages/impressum.md"
    page.write_text("---\ntitle: Impressum\ndate: 2026-02-30\n---\n" + page.read_text("utf-8"))
    problem = refused(demo)
    assert "episode.md:6: radio_release: '2026-02-29T08:00:00+01:00' is not a real" in problem
    assert "(write date and time with a time zone" in problem
    assert "impressum.md:3: date: unknown key (remove it)" in problem, problem


def test_dates_yaml_reads_are_still_read(demo: Path) -> None:
    edit(demo / EP1 / "episode.md", DATE, "date: 2026-09-10 18:00:00 +02:00")
    show = load_show(demo)
    assert show.episodes[0].meta.date.isoformat() == "2026-09-10T18:00:00+02:00"


# --- 10: more chapters than an MP3's chapter table holds ----------------------------------


def test_more_than_255_chapters_are_refused_in_front_matter_and_chapters_files(
    demo: Path,
) -> None:
    many = "".join(f'  - start: "{n / 10:.1f}"\n    title: Kapitel {n}\n' for n in range(256))
    edit(demo / EP1 / "episode.md", CHAPTERS, "chapters:\n" + many)
    chapters_file(
        demo, "chapters.txt.new", "".join(f"{n / 10:.1f} K{n}\n" for n in range(300)).encode()
    )
    problem = refused(demo)
    assert "episode.md:531: chapters[255]: 256 chapters; an MP3's chapter table" in problem
    assert "(ID3 CTOC) holds at most 255 (merge chapters" in problem
    assert "chapters.txt.new:256: chapters[255]: 300 chapters" in problem, problem


def test_255_chapters_load_and_fit_in_the_id3_chapter_table(demo: Path, tmp_path: Path) -> None:
    lines = "".join(f"{n / 10:.1f} K{n}\n" for n in range(ID3_MAX_CHAPTERS))
    chapters_file(demo, "chapters.txt.new", lines.encode())
    episode = load_show(demo).episodes[2]
    assert len(episode.chapters) == 255
    tag = ID3()
    for frame in id3_frames(timed(episode.chapters, 30.0), "Kapitel"):
        tag.add(frame)
    tag.save(tmp_path / "tag.id3")
    (toc,) = ID3(tmp_path / "tag.id3").getall("CTOC")
    assert isinstance(toc, CTOC) and len(toc.child_element_ids) == 255


# --- 12: negative and not-a-number times --------------------------------------------------


def test_negative_times_are_refused_where_they_are_written(demo: Path) -> None:
    chapters_file(demo, "chapters.new.txt", b"00:00 Anfang\n-0:05 Vorspann\n00:10 Thema\n")
    edit(
        demo / EP1 / "episode.md",
        "  - file: interview-leipzig.flac",
        '  - file: interview-leipzig.flac\n    start: "-0:05"\n    end: 1:-50',
    )
    problem = refused(demo)
    assert (
        "chapters.new.txt:2: chapters: '-0:05' is a negative time "
        f"(read as {'chapter lines'}" in problem
    ), problem
    assert "episode.md:36: recordings[0].start: '-0:05' is a negative time" in problem
    assert "episode.md:37: recordings[0].end: '1:-50' is a negative time" in problem
    assert "at least 1 item" not in problem
    assert "(write seconds, MM:SS or HH:MM:SS(.mmm), counted from 0)" in problem


def test_negative_times_in_reaper_markers_and_yaml_sexagesimal_are_refused(demo: Path) -> None:
    csv = b"#,Name,Start,End,Length\nM1,Anfang,0:00.000,,\nM2,Thema,1:-50,,\n"
    chapters_file(demo, "markers.csv", csv)
    edit(
        demo / EP1 / "episode.md",
        "  - file: interview-leipzig.flac",
        "  - file: interview-leipzig.flac\n    start: -1:05",  # a time, not YAML 1.1's -65
    )
    problem = refused(demo)
    assert (
        "markers.csv:3: chapters: cannot read the start of 'M2,Thema,1:-50,,': '1:-50'" in problem
    )
    assert "is a negative time (read as Reaper markers" in problem
    assert "episode.md:36: recordings[0].start: '-1:05' is a negative time" in problem, problem


def test_nan_times_say_not_a_number(demo: Path) -> None:
    edit(demo / EP1 / "episode.md", 'start: "00:12"', "start: .nan")
    markers = b"#,Name,Start,End,Length\nM1,Anfang,0:00.000,,\nM2,Thema,nan,,\n"
    chapters_file(demo, "markers.csv", markers)
    problem = refused(demo)
    assert "episode.md:23: chapters[1].start: not a number (write seconds" in problem, problem
    assert "markers.csv:3: chapters: cannot read the start of 'M2,Thema,nan,,': 'nan'" in problem
    assert ">= 0" not in problem and "greater than" not in problem


def test_nan_start_time_in_chapters_json_says_not_a_number(demo: Path) -> None:
    document = '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"}, '
    document += '{"startTime": NaN, "title": "B"}]}'
    chapters_file(demo, "chapters.json", document.encode())
    assert "chapters.json: chapters[1].startTime: not a number" in refused(demo)


# --- 13: chapters files that are not UTF-8 text, nested too deep, too long -----------------


def test_utf16_chapters_with_a_byte_order_mark_are_read(demo: Path) -> None:
    text = "00:00 Ankunft im Jugendbeirat\r\n00:11.5 Was beide Beiräte mitnehmen\r\n"
    chapters_file(demo, "kapitel.txt", text.encode("utf-16"))
    chapters = load_show(demo).episodes[2].chapters
    assert [c.title for c in chapters] == [
        "Ankunft im Jugendbeirat",
        "Was beide Beiräte mitnehmen",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"00:00 Anfang\n00:05 M\xfcll\n", "kapitel.txt:2: chapters: not UTF-8 text (byte 0xFC)"),
        (
            "00:00 Anfang\n".encode("utf-16-le"),
            "kapitel.txt:1: chapters: not UTF-8 text: a binary file, or UTF-16 without",
        ),
        (bytes(range(256)) * 4, "kapitel.txt:2: chapters: not UTF-8 text: a binary file"),
        (b"\xff\xfe0\x000\x00:\x00\x00\xd8", "kapitel.txt:1: chapters: not valid UTF-16 text"),
    ],
    ids=["latin-1", "utf-16-without-mark", "binary", "broken-utf-16"],
)
def test_chapters_that_are_not_utf8_name_the_encoding(
    demo: Path, data: bytes, message: str
) -> None:
    chapters_file(demo, "kapitel.txt", data)
    problem = refused(demo)
    assert message in problem and "(export the chapters again as UTF-8 text)" in problem, problem


def test_deeply_nested_chapters_json_and_a_huge_reaper_field_are_refused(demo: Path) -> None:
    depth = 100_000
    nested = '{"version": "1.2.0", "chapters": ' + "[" * depth + "]" * depth + "}"
    chapters_file(demo, "chapters.json", nested.encode())
    assert "chapters.json: chapters: nested too deeply to read" in refused(demo)
    edit(demo / EP3 / "episode.md", "chapters: chapters.json", "chapters: markers.csv")
    field = "x" * 200_000
    (demo / EP3 / "markers.csv").write_text(
        f"#,Name,Start,End,Length\nM1,Anfang,0:00,,\nM2,{field},0:05,,\n", encoding="utf-8"
    )
    problem = refused(demo)
    assert "markers.csv:3: chapters: a field longer than 128 KiB" in problem, problem


# --- 15: chapter titles that are not text ---------------------------------------------------


def test_chapter_titles_in_json_must_be_text(demo: Path) -> None:
    document = {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0, "title": "Anfang"},
            {"startTime": 5, "title": {"a": 1}},
            {"startTime": 9, "title": 7},
            "kein Kapitel",
        ],
    }
    chapters_file(demo, "chapters.json", json.dumps(document).encode())
    problem = refused(demo)
    assert "chapters.json: chapters[1].title: must be text, not an object" in problem
    assert "chapters.json: chapters[2].title: must be text, not a number" in problem
    assert "chapters.json: chapters[3]: a chapter must be an object, not text" in problem
    assert "{'a': 1}" not in problem


# --- 9 and 14: a phone video whose chapters start in its leading silence; a full disk ------


def one_episode_show(folder: Path, recording: Path) -> Path:
    """The demo show with only its first episode, whose recording is `recording`."""
    show = copy_demo(folder)
    for name in ("episodes/02-frankfurt-kav", EP3):
        shutil.rmtree(show / name)
    (show / "podcast.lock").unlink()
    episode = show / EP1 / "episode.md"
    edit(episode, "transcripts:\n  - file: transcript.de.vtt\n    language: de\n", "")
    (show / EP1 / "transcript.de.vtt").unlink()
    (show / EP1 / "interview-leipzig.flac").unlink()
    shutil.move(recording, show / EP1 / recording.name)
    edit(episode, "file: interview-leipzig.flac", f"file: {recording.name}")
    edit(episode, CHAPTERS, SHORT_CHAPTERS)
    return show


SHORT_CHAPTERS = 'chapters:\n  - start: "0"\n    title: Anfang\n  - start: "3"\n    title: Thema\n'


def test_a_phone_video_builds_and_chapters_in_its_leading_silence_are_left_out(
    tmp_path: Path,
) -> None:
    # Eight seconds of picture and sound, the sound after 2.5 s of silence. Decoded, the
    # sound is a few milliseconds longer than 8 s: the last stretch the meter reads is
    # shorter than the sound analysis's 100 ms step.
    video = synthesise(
        tmp_path / "handy.mp4",
        "testsrc=size=160x120:rate=10:d=8",
        *("-f", "lavfi", "-i", "sine=f=300:d=5.5,adelay=2500:all=1", "-shortest"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-b:a", "64k"),
    )
    show = one_episode_show(tmp_path / "show", video)
    edit(
        show / EP1 / "episode.md",
        SHORT_CHAPTERS,
        'chapters:\n  - start: "0"\n    title: Anfang\n  - start: "1"\n    title: Vorspann\n'
        '  - start: "2"\n    title: Begrüßung\n  - start: "5"\n    title: Thema\n',
    )
    report = build(show)
    (warning,) = [w for w in report.warnings if "chapters[1]" in w]
    assert "chapters[1] 'Vorspann' at 1.00 s lies in silence the build trims" in warning
    assert "left out of the published chapters ('Begrüßung' would start at the same time)" in (
        warning
    )
    chapters = json.loads(next((report.out / "chapters").glob("*.json")).read_text())
    starts = [c["startTime"] for c in chapters["chapters"]]
    titles = [c["title"] for c in chapters["chapters"]]
    assert titles == ["Anfang", "Begrüßung", "Thema"]
    assert starts[0] == 0 and starts == sorted(set(starts)), starts
    # Speech begins at 2.5 s, of which 0.25 s of silence is kept: 'Thema' 2.75 s later.
    assert starts[2] - starts[1] == pytest.approx(2.75, abs=0.05)


def test_a_full_disk_while_tagging_the_opus_alternate_is_the_disk_full_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = synthesise(tmp_path / "aufnahme.flac", "sine=f=300:d=5", "-ac", "2")
    show = one_episode_show(tmp_path / "show", recording)
    edit(
        show / "podcast.toml",
        'alternate_encodings = ["aac", "opus"]',
        'alternate_encodings = ["opus"]',
    )
    disk = tmp_path / "disk"
    real_opus = alternate_tags.OggOpus

    def opened_on_a_full_disk(path: Path) -> object:
        # ffmpeg has written the Opus file; the disk fills up before mutagen adds the cover.
        with (disk / "filler").open("ab") as filler:
            try:
                while True:
                    filler.write(bytes(1 << 16))
                    filler.flush()
            except OSError:
                pass
        return real_opus(path)

    monkeypatch.setattr(alternate_tags, "OggOpus", opened_on_a_full_disk)
    with small_disk(disk, "4m"):
        with pytest.raises(PodcastError) as caught:
            build(show, out=disk / "feed")
        assert f"{disk / 'feed'}: the disk is full" in str(caught.value)
        assert not (disk / "feed").exists()
        assert [p.name for p in disk.iterdir()] == ["filler"]  # the staging folder is gone


def test_chapters_in_trimmed_silence_at_either_end_are_left_out(demo: Path) -> None:
    episode = load_show(demo).episodes[0]
    marks = [(0.0, "Anfang"), (0.5, "Mitte"), (6.0, "Schluss"), (18.0, "Abspann")]
    chapters = tuple(ChapterMark(s, t, None, None, episode.source, 20) for s, t in marks)
    episode = replace(episode, chapters=chapters)
    # 20 s of recording: 1 s of silence trimmed at the head, 4 s at the tail; no intro.
    timeline = Timeline((Piece("recording", 1.0, 15.0, 0.0, 1.0),))
    published = published_chapters(episode, timeline)
    assert [(c.start, c.title) for c in published] == [(0.0, "Mitte"), (5.0, "Schluss")]
    warnings = place_chapters(episode, timeline)[1]
    assert len(warnings) == 2, warnings
    assert "chapters[0] 'Anfang' at 0.00 s lies in silence the build trims" in warnings[0]
    assert "('Mitte' would start at the same time); move it to where the speech" in warnings[0]
    assert "chapters[3] 'Abspann' at 18.00 s" in warnings[1]
    assert "(it would start where the episode ends); move it before the end" in warnings[1]
