"""Metadata read back by independent readers (not the libraries that wrote it): eyeD3 and
ffprobe for the ID3 tag mutagen writes, wavinfo, feedparser, webvtt-py; chapters against the
chapters the editors wrote."""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
import webvtt
from mutagen.id3 import ID3
from wavinfo import WavInfoReader

from podcast.build import BuildReport, build
from podcast.check import check_show
from podcast.errors import PodcastError
from podcast.outputs.id3 import EpisodeTags, write_id3
from podcast.outputs.transcripts import to_json, to_srt, to_vtt
from podcast.show.text import to_ascii
from podcast.show.transcripts import Cue, read_transcript

from .helpers import built_file, editors_chapters

BASE = "https://podcast.example.org/quer-durch-die-gremien/"
SLUGS = ["01-leipzig-migrantenbeirat", "02-frankfurt-kav", "03-zu-gast-im-jugendbeirat"]


def test_id3_carries_every_frame_players_and_apple_read(built_demo: BuildReport) -> None:
    # Read by eyeD3, a parser of its own (the tag is written with mutagen).
    import eyed3

    path = built_file(built_demo.out, "audio/01-leipzig-migrantenbeirat.mp3")
    with path.open("rb") as handle:
        assert handle.read(4) == b"ID3\x03"  # really written as v2.3, not upgraded on read
    tag = eyed3.load(str(path)).tag
    assert tag.version == (2, 3, 0)
    frames = tag.frame_set
    assert tag.artist == "Redaktion Quer durch die Gremien"
    assert tag.disc_num.count == 1
    assert str(tag.getBestDate()) == "2026-09-10"  # from TYER + TDAT, as v2.3 stores it
    (comment,) = tag.comments
    assert comment.lang == b"deu" and comment.text.startswith("Zu Gast beim Migrantenbeirat")
    assert frames[b"TCOP"][0].text.startswith("© 2026")
    assert frames[b"TLAN"][0].text == "deu"
    assert frames[b"WOAS"][0].url == BASE + "episodes/01-leipzig-migrantenbeirat.html"
    assert frames[b"PCST"][0].data[-4:] == b"\x00\x00\x00\x01"  # the podcast flag: 1
    assert frames[b"TGID"][0].text == "urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e01"
    assert "Migrantenbeirat" in frames[b"TDES"][0].text
    (lyrics,) = tag.lyrics
    assert lyrics.text.startswith("Redaktion: Willkommen in Leipzig.")
    assert "Migrantenbeirat Leipzig: Der Beirat berät den Stadtrat" in lyrics.text
    (cover,) = tag.images
    assert cover.picture_type == 3 and cover.image_data[:3] == b"\xff\xd8\xff"
    loudness = {frame.description: frame.text for frame in tag.user_text_frames}
    assert -16.5 <= float(loudness["LOUDNESS_LUFS"]) <= -15.5
    assert float(loudness["TRUE_PEAK_DBTP"]) <= -1.0


def _ffprobe_chapters(path: Path) -> list[tuple[float, str]]:
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        (round(float(c["start_time"]), 3), c["tags"]["title"])
        for c in json.loads(probed.stdout)["chapters"]
    ]


def _v23_text_frame(path: Path, frame_id: bytes) -> str:
    """A text frame of an ID3v2.3 tag, read from its bytes (size, flags, encoding, text)."""
    data = path.read_bytes()
    tag = data[10 : 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(data[6:10]))]
    at = tag.index(frame_id)
    size = int.from_bytes(tag[at + 4 : at + 8], "big")
    body = tag[at + 10 : at + 10 + size]
    return body[1:].decode("utf-16" if body[0] == 1 else "latin-1").rstrip("\x00")


def test_id3_is_read_right_by_eyed3_and_ffmpeg(built_demo: BuildReport, tmp_path: Path) -> None:
    import eyed3

    slug = "03-zu-gast-im-jugendbeirat"
    path = built_file(built_demo.out, f"audio/{slug}.mp3")
    tag = eyed3.load(str(path)).tag
    assert b"TDRC" not in tag.frame_set  # a v2.4 frame: v2.3 stores TYER and TDAT
    assert _v23_text_frame(path, b"TYER") == "2026" and _v23_text_frame(path, b"TDAT") == "0511"
    assert str(tag.getBestDate()) == "2026"
    frames = {frame.id: frame for frame in tag.frame_set.getAllFrames()}
    assert frames[b"WFED"].text == BASE + "feed.xml"  # a text frame, read whole
    assert frames[b"WOAS"].url == BASE + f"episodes/{slug}.html"  # no trailing NUL
    assert [c.user_url for c in tag.chapters][-1] == "https://www.radioblau.de/"
    # Chapters in time order, CTOC first: ffmpeg keeps them, also through a conversion.
    reference = editors_chapters(built_demo.out.parent, built_demo.out, slug)
    expected = _ffprobe_chapters(path)
    assert [title for _, title in expected] == [title for _, title in reference]
    assert [start for start, _ in expected] == pytest.approx([s for s, _ in reference], abs=0.002)
    converted = tmp_path / "converted.m4a"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c:a", "aac", str(converted)],
        check=True,
    )
    after = _ffprobe_chapters(converted)
    assert [title for _, title in after] == [title for _, title in expected]
    assert [start for start, _ in after] == pytest.approx([s for s, _ in expected], abs=0.1)
    date = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags=date", "-of", "csv=p=0", path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert date.stdout.strip() == "2026-11-05" and "encoding" not in date.stderr


def test_id3_version_4_on_request(synth: Callable[..., Path], tmp_path: Path) -> None:
    path = synth("clip.mp3", "sine=f=300", 1, rate=44100)
    tags = EpisodeTags(
        title="T",
        artist="A",
        show="S",
        number=1,
        season=None,
        date="2026-01-02",
        language="en-GB",
        summary="s",
        description="d",
        copyright="c",
        page_url="https://x/",
        feed_url="https://x/feed.xml",
        guid="g",
        cover_jpeg=b"\xff\xd8\xff",
        loudness_lufs=-16,
        true_peak_dbtp=-1.5,
    )
    write_id3(path, tags, version=4)
    import eyed3

    read = eyed3.load(str(path)).tag
    assert read.version == (2, 4, 0)
    assert read.frame_set[b"TDRC"][0].text == "2026-01-02"
    assert read.frame_set[b"TLAN"][0].text == "eng"


def chapter_views(out: Path, slug: str) -> dict[str, list[tuple[float, str]]]:
    """The same chapters as each output states them, in seconds and titles (the ID3 tag read
    by eyeD3, the feed by feedparser)."""
    import eyed3

    tag = eyed3.load(str(built_file(out, f"audio/{slug}.mp3"))).tag
    (toc,) = tag.table_of_contents
    chaps = {c.element_id: c for c in tag.chapters}
    id3 = [(chaps[i].times.start / 1000, chaps[i].title) for i in toc.child_ids]
    document = json.loads(built_file(out, f"chapters/{slug}.json").read_text())
    assert document["version"] == "1.2.0"
    as_json = [(c["startTime"], c["title"]) for c in document["chapters"]]
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    (entry,) = [e for e in parsed.entries if e.link.endswith(f"{slug}.html")]
    psc = [(c.start_parsed.total_seconds(), c.title) for c in entry.psc_chapters["chapters"]]
    lines = []
    for line in entry.summary.splitlines():
        found = re.match(r"^(\d\d):(\d\d) (.+)$", line)
        if found:
            lines.append((int(found[1]) * 60 + int(found[2]), found[3]))
    return {"id3": id3, "json": as_json, "psc": psc, "description": lines}


@pytest.mark.parametrize("slug", SLUGS)
def test_chapter_outputs_agree(built_demo: BuildReport, slug: str) -> None:
    # Each output against the chapters the editors wrote (not against another output).
    reference = editors_chapters(built_demo.out.parent, built_demo.out, slug)
    assert len(reference) == 3 and reference[0][0] == 0
    for name, view in chapter_views(built_demo.out, slug).items():
        assert [title for _, title in view] == [title for _, title in reference], name
        if name == "description":  # whole seconds, cut
            assert [start for start, _ in view] == [int(start) for start, _ in reference]
        else:
            starts = [start for start, _ in view]
            assert starts == pytest.approx([s for s, _ in reference], abs=0.002), name
    import eyed3

    tag = eyed3.load(str(built_file(built_demo.out, f"audio/{slug}.mp3"))).tag
    ends = [c.times.end for c in tag.chapters]
    assert max(ends) / 1000 == pytest.approx(
        json.loads((built_demo.out / "manifest.json").read_text())["episodes"][SLUGS.index(slug)][
            "renditions"
        ]["podcast.mp3"]["duration"],
        abs=0.002,
    )


def test_chapters_file_with_url_reaches_every_output(built_demo: BuildReport) -> None:
    document = json.loads(
        built_file(built_demo.out, "chapters/03-zu-gast-im-jugendbeirat.json").read_text()
    )
    manifest = json.loads((built_demo.out / "manifest.json").read_text())
    jingle, speech = manifest["episodes"][2]["inputs"]
    # written at 18.3 s of the recording; moved by the intro, its crossfade and trimmed silence
    expected = 18.3 + jingle["duration"] - 0.5 - (speech["head_silence"] - 0.25)
    assert document["chapters"][2] == {
        "startTime": pytest.approx(expected, abs=0.002),
        "title": "Dank und Abschied",
        "url": "https://www.radioblau.de/",
    }
    import eyed3

    tag = eyed3.load(str(built_file(built_demo.out, "audio/03-zu-gast-im-jugendbeirat.mp3"))).tag
    last = next(c for c in tag.chapters if c.element_id == b"chp2")
    assert last.user_url == "https://www.radioblau.de/"


def test_broadcast_wav_has_bext_and_info_for_an_independent_reader(
    built_demo: BuildReport,
) -> None:
    manifest = json.loads((built_demo.out / "manifest.json").read_text())
    for episode in manifest["episodes"]:
        measured = episode["renditions"]["broadcast.wav"]
        info = WavInfoReader(str(built_file(built_demo.out, f"broadcast/{episode['slug']}.wav")))
        assert info.fmt.sample_rate == 48000 and info.fmt.bits_per_sample == 24
        bext = info.bext
        assert bext.version == 2
        assert bext.originator == "Redaktion Quer durch die Gremien"
        assert bext.description.startswith("Quer durch die Gremien: ")
        assert bext.loudness_value == pytest.approx(measured["integrated_lufs"], abs=0.01)
        assert bext.max_true_peak == pytest.approx(measured["true_peak_dbtp"], abs=0.01)
        assert bext.loudness_range == pytest.approx(measured["lra_lu"], abs=0.01)
        assert bext.max_momentary_loudness == pytest.approx(
            measured["max_momentary_lufs"], abs=0.01
        )
        assert -30 < bext.max_shortterm_loudness < -10
        assert bext.coding_history.startswith("A=PCM,F=48000,W=24,M=stereo")
        assert info.info.title == to_ascii(episode["title"])
        assert info.info.created_date.startswith("2026-")
    # ffprobe is a second reader of the same chunks
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format_tags",
            "-of",
            "json",
            str(built_file(built_demo.out, "broadcast/01-leipzig-migrantenbeirat.wav")),
        ],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    )
    tags = json.loads(probe.stdout)["format"]["tags"]
    assert tags["originator_reference"] == "0001-01-leipzig-migrantenbeirat"
    assert tags["date"] == "2026-09-10"  # ffmpeg's name for OriginationDate
    assert tags["title"] == "Leipzig: Der Migrantenbeirat und die anderen Beiraete"


def test_programme_sheet_has_exact_duration_and_announcements(built_demo: BuildReport) -> None:
    out = built_demo.out
    sheet = json.loads((out / "programme/02-frankfurt-kav.json").read_text())
    wav = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
            str(built_file(out, "broadcast/02-frankfurt-kav.wav")),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sheet["duration_seconds"] == pytest.approx(float(wav.stdout), abs=0.001)
    seconds = round(float(wav.stdout))  # rounded, as the feeds round it (not cut)
    assert sheet["duration"] == f"00:00:{seconds:02d}"
    assert sheet["licence"]["name"] == "CC-BY-SA-4.0"
    assert sheet["announcement"].startswith("Frankfurt am Main hat")
    assert sheet["back_announcement"]
    assert sheet["contact"]["email"] == "redaktion@podcast.example.org"
    chapters = json.loads(built_file(out, "chapters/02-frankfurt-kav.json").read_text())["chapters"]
    assert [c["start"] for c in sheet["chapters"]] == [
        f"00:00:{int(c['startTime']):02d}" for c in chapters
    ]
    page = (out / "programme/02-frankfurt-kav.html").read_text()
    assert "Anmoderation" in page and "Abmoderation" in page and sheet["duration"] in page
    radio = feedparser.parse((out / "radio.xml").read_bytes())
    assert radio.entries[0].link.endswith("programme/03-zu-gast-im-jugendbeirat.html")
    (item,) = [e for e in radio.entries if e.link.endswith("02-frankfurt-kav.html")]
    assert item.itunes_duration == str(seconds)


def test_programme_sheet_without_host_or_announcements_warns_and_has_no_empty_rows(
    cached_demo: Path,
) -> None:
    episode = cached_demo / "episodes/02-frankfurt-kav/episode.md"
    text = episode.read_text()
    text = re.sub(r"back_announcement: >-\n  .*\n", "", text)
    text = re.sub(r"announcement: >-\n  .*\n", "", text)
    text = text.replace("role: host", "role: guest")
    episode.write_text(text)
    toml = cached_demo / "podcast.toml"
    toml.write_text(re.sub(r"\[\[hosts\]\][^\[]*", "", toml.read_text()))
    report = build(cached_demo)
    (warning,) = [w for w in report.warnings if "programme sheet" in w]
    assert "02-frankfurt-kav/episode.md: the programme sheet for radio partners has no " in warning
    assert "announcement, no back_announcement, no host" in warning
    page = (report.out / "programme/02-frankfurt-kav.html").read_text()
    assert "Redaktion</th>" not in page and "Anmoderation" not in page


def test_transcript_formats_convert_without_loss(tmp_path: Path) -> None:
    cues = [Cue(1.5, 3.25, "Redaktion", "Guten Tag & willkommen"), Cue(4.0, 6.0, None, "Ende")]
    (tmp_path / "t.vtt").write_text(to_vtt(cues))
    (tmp_path / "t.srt").write_text(to_srt(cues))
    # Read by webvtt-py, not by the project's own reader.
    vtt = webvtt.read(str(tmp_path / "t.vtt"))
    assert [(c.start, c.end) for c in vtt] == [
        ("00:00:01.500", "00:00:03.250"),
        ("00:00:04.000", "00:00:06.000"),
    ]
    assert [c.voice for c in vtt] == ["Redaktion", None]
    # Escaped in the file, as WebVTT wants (webvtt-py leaves the entities to its callers).
    assert [html.unescape(c.text) for c in vtt] == ["Guten Tag & willkommen", "Ende"]
    assert "&amp;" in vtt.captions[0].raw_text
    from_srt = read_transcript(tmp_path / "t.srt")
    assert [(c.start, c.end) for c in from_srt] == [(1.5, 3.25), (4.0, 6.0)]
    assert from_srt[0].text.replace("\n", " ") == "Redaktion: Guten Tag & willkommen"
    assert len(webvtt.from_srt(str(tmp_path / "t.srt")).captions) == 2
    segments = json.loads(to_json(cues))["segments"]
    assert segments[0] == {
        "startTime": 1.5,
        "endTime": 3.25,
        "body": "Guten Tag & willkommen",
        "speaker": "Redaktion",
    }


@pytest.mark.parametrize("suffix", [".vtt", ".srt"])
def test_published_captions_have_at_most_two_short_lines(
    built_demo: BuildReport, suffix: str
) -> None:
    for slug in SLUGS:
        source = read_transcript(built_demo.out.parent / f"episodes/{slug}/transcript.de.vtt")
        path = built_file(built_demo.out, f"transcripts/{slug}.de{suffix}")
        document = webvtt.from_srt(str(path)) if suffix == ".srt" else webvtt.read(str(path))
        captions = document.captions
        assert len(captions) > len(source)  # the demo's long cues were split
        for caption in captions:
            lines = caption.text.splitlines()
            assert 1 <= len(lines) <= 2, caption.text
            assert all(len(line) <= 32 or " " not in line for line in lines), (path, lines)
        starts = [c.start.replace(",", ".") for c in captions]  # HH:MM:SS.mmm sorts as text
        assert starts == sorted(starts)
        assert all(c.end.replace(",", ".") > c.start.replace(",", ".") for c in captions)
        # Nothing lost: the captions read, word for word, as the published cues.
        segments = built_file(built_demo.out, f"transcripts/{slug}.de.json")
        published = json.loads(segments.read_text())["segments"]
        assert len(published) == len(source)  # the JSON keeps the editors' segments
        words = " ".join(c.text for c in captions).split()
        expected = []
        for segment in published:
            srt_lead = suffix == ".srt" and "speaker" in segment
            lead = f"{segment['speaker']}:".split() if srt_lead else []
            expected += lead + segment["body"].split()
        assert words == expected


def test_published_transcripts_exist_in_every_format(built_demo: BuildReport) -> None:
    for suffix in (".vtt", ".srt", ".json"):
        assert (
            built_file(built_demo.out, f"transcripts/02-frankfurt-kav.de{suffix}")
        ).stat().st_size > 100
    parsed = feedparser.parse((built_demo.out / "feed.xml").read_bytes())
    raw = (built_demo.out / "feed.xml").read_text()
    assert raw.count("<podcast:transcript url=") == 9
    assert parsed.entries[0].podcast_chapters["type"] == "application/json+chapters"


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "01-leipzig-migrantenbeirat/episode.md",
            'start: "00:12"',
            'start: "00:00"',
            r"episode\.md:20: chapters: .*must start after",  # the `chapters:` line
        ),
        (
            "03-zu-gast-im-jugendbeirat/chapters.txt",
            "00:11.5 Was",
            "00:25 Was",
            r"chapters\.txt:5: chapters\[2\]: 'Dank und Abschied' must start after",
        ),
        (
            "03-zu-gast-im-jugendbeirat/chapters.txt",
            "00:11.5 Was",
            "halb zwei Was",
            r"chapters\.txt:4: chapters: cannot read 'halb zwei",
        ),
        (
            "02-frankfurt-kav/transcript.de.vtt",
            "00:00:05.540 --> 00:00:11.540",
            "00:00:05.540 -> 00:00:11.540",
            r"transcript\.de\.vtt:7: transcript: cannot read",
        ),
        (
            "02-frankfurt-kav/transcript.de.vtt",
            "00:00:05.540 --> 00:00:11.540",
            "00:00:05.540 --> 00:00:1x.540",
            r"transcript\.de\.vtt:8: transcript: cannot read the "
            r"cue timing",
        ),
        (
            "02-frankfurt-kav/transcript.de.vtt",
            "WEBVTT",
            "WEBVT",
            r"transcript\.de\.vtt:1: "
            r"transcript: not a valid VTT file",
        ),
    ],
    ids=["overlapping", "unordered-file", "unreadable-file", "arrow", "timing", "header"],
)
def test_check_names_the_file_and_line_of_bad_metadata(
    demo: Path, file: str, old: str, new: str, expected: str
) -> None:
    path = demo / "episodes" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(PodcastError) as caught:
        check_show(demo)
    assert re.search(expected, str(caught.value)), str(caught.value)


def test_check_rejects_a_cover_that_is_not_an_image(demo: Path) -> None:
    (demo / "media/cover.jpg").write_text("kein Bild")
    with pytest.raises(PodcastError, match=r"cover\.jpg: cover: not an image"):
        check_show(demo)


def test_transcript_past_the_end_fails_the_build(cached_demo: Path) -> None:
    path = cached_demo / "episodes/03-zu-gast-im-jugendbeirat/transcript.de.vtt"
    path.write_text(path.read_text() + "\n99\n00:05:00.000 --> 00:05:02.000\nzu spät\n")
    with pytest.raises(PodcastError, match=r"cue 6 ends at 302\.0 s, after the end"):
        build(cached_demo)


def test_chapter_image_reaches_id3_json_and_feed(cached_demo: Path) -> None:
    from PIL import Image

    folder = cached_demo / "episodes/01-leipzig-migrantenbeirat"
    Image.new("RGB", (600, 600), (200, 30, 30)).save(folder / "rathaus.jpg", "JPEG")
    episode = folder / "episode.md"
    episode.write_text(
        episode.read_text().replace(
            "    title: Delegierte in den anderen Beiräten",
            "    title: Delegierte in den anderen Beiräten\n    img: rathaus.jpg",
        )
    )
    out = build(cached_demo).out
    url = BASE + str(built_file(out, "chapters/01-leipzig-migrantenbeirat-1.jpg").relative_to(out))
    document = json.loads(built_file(out, "chapters/01-leipzig-migrantenbeirat.json").read_text())
    assert document["chapters"][1]["img"] == url
    assert (
        built_file(out, "chapters/01-leipzig-migrantenbeirat-1.jpg").read_bytes()
        == (folder / "rathaus.jpg").read_bytes()
    )
    chap = next(
        c
        for c in ID3(built_file(out, "audio/01-leipzig-migrantenbeirat.mp3")).getall("CHAP")
        if c.element_id == "chp1"
    )
    assert chap.sub_frames.getall("APIC")[0].data[:3] == b"\xff\xd8\xff"
    assert f'image="{url}"' in (out / "feed.xml").read_text()


def test_rendered_wav_takes_its_metadata_in_place(tmp_path: Path) -> None:
    from podcast.audio.wav import finish_wav, wav_header
    from podcast.outputs.bext import BroadcastInfo, fill_metadata_room, write_broadcast_wav

    path = tmp_path / "render.wav"
    samples = bytes(range(256)) * 3 * 7  # 5376 bytes: 896 frames of 24-bit stereo
    with path.open("w+b") as handle:
        handle.write(wav_header(2, 48000, 24))
        handle.write(samples)
        finish_wav(handle)
    info = BroadcastInfo(
        "Beschreibung",
        "Radio Blau",
        "0001-test",
        "2026-01-02",
        "10:00:00",
        "A=PCM",
        -23.0,
        5.0,
        -2.0,
        -18.0,
        -20.0,
        "Titel",
        "Redaktion",
        "Kommentar",
        "2026-01-02",
        "CC",
    )
    mtime = path.stat().st_mtime_ns
    assert fill_metadata_room(path, info)
    assert path.stat().st_mtime_ns == mtime  # still identifies the rendered samples
    read = WavInfoReader(str(path))
    assert (read.bext.description, read.info.title) == ("Beschreibung", "Titel")
    assert read.data.frame_count == 896 and path.read_bytes()[-len(samples) :] == samples
    # Filled again (another build), and copied (as when the render is published already).
    assert fill_metadata_room(path, replace(info, title="Anders"))
    copy = tmp_path / "copy.wav"
    write_broadcast_wav(path, copy, replace(info, title="Anders"))
    assert WavInfoReader(str(copy)).info.title == WavInfoReader(str(path)).info.title == "Anders"
    assert copy.read_bytes() == path.read_bytes()  # either way, the same file
    too_much = replace(info, comment="x" * 20000)
    assert not fill_metadata_room(path, too_much)  # no room: the caller copies instead
    assert WavInfoReader(str(path)).info.title == "Anders"
