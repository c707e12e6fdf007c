"""The feed contract: the GUID guard, the validation gate, artwork rules."""

from __future__ import annotations

import io
import re
import shutil
import threading
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
import pytest
from PIL import Image

from podcast.build import BuildReport, build
from podcast.errors import PodcastError
from podcast.outputs.feeds.validate import item_digests, parsed_items, validate_feed
from podcast.outputs.urls import unversioned
from podcast.publish.guard import feed_items
from podcast.show.images import load_cover
from podcast.show.lock import read_lock

from .helpers import built_file, ebur128, editors_chapters, ffprobe_tags, tree_bytes

BASE = "https://podcast.example.org/quer-durch-die-gremien/"
EP2 = "episodes/02-frankfurt-kav"
FEEDS = ("radio.xml", "feed.xml")
PODCAST = "https://podcastindex.org/namespace/1.0"
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # the namespace's own


def items_by_guid(out: Path) -> dict[str, tuple[str, str]]:
    return {i.guid: (i.title, i.enclosure) for i in feed_items((out / "feed.xml").read_bytes())}


def test_renaming_folder_and_title_keeps_guid_and_urls(cached_demo: Path) -> None:
    before = items_by_guid(build(cached_demo).out)
    (cached_demo / EP2).rename(cached_demo / "episodes/02-frankfurt-auslaendervertretung")
    episode = cached_demo / "episodes/02-frankfurt-auslaendervertretung/episode.md"
    episode.write_text(
        episode.read_text().replace(
            'title: "Frankfurt: Die Kommunale Ausländervertretung"', 'title: "Frankfurt: Die KAV"'
        )
    )
    after = items_by_guid(build(cached_demo).out)
    guid = "urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e02"
    title, enclosure = after[guid]
    # The new title is in the MP3's tags: a new version of the same file, under the same name.
    assert title == "Frankfurt: Die KAV" and enclosure != before[guid][1]
    assert unversioned(enclosure) == unversioned(before[guid][1])
    assert re.fullmatch(BASE + r"audio/02-frankfurt-kav-[0-9a-f]{12}\.mp3", enclosure)
    assert set(after) == set(before)


def test_edited_guid_is_refused_unless_allowed(cached_demo: Path) -> None:
    out = build(cached_demo).out
    published = tree_bytes(out)
    episode = cached_demo / EP2 / "episode.md"
    episode.write_text(episode.read_text().replace("4e02", "4e99"))
    with pytest.raises(PodcastError) as caught:
        build(cached_demo)
    message = str(caught.value)
    assert "'Frankfurt: Die Kommunale Ausländervertretung' would change its GUID" in message
    assert "--allow 02-frankfurt-kav" in message
    assert tree_bytes(out) == published
    build(cached_demo, allow=frozenset({"02-frankfurt-kav"}))
    assert "urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e99" in items_by_guid(out)
    assert read_lock(cached_demo).published["urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e99"] == (
        "02-frankfurt-kav"
    )


def test_fresh_checkout_without_output_still_guards_through_the_lock(cached_demo: Path) -> None:
    build(cached_demo)
    shutil.rmtree(cached_demo / "feed")
    episode = cached_demo / EP2 / "episode.md"
    episode.write_text(episode.read_text().replace("4e02", "4e98"))
    with pytest.raises(PodcastError, match=r"published episode '02-frankfurt-kav' is missing"):
        build(cached_demo)


def test_removed_episode_is_refused_until_retired(cached_demo: Path) -> None:
    out = build(cached_demo).out
    shutil.rmtree(cached_demo / EP2)
    with pytest.raises(PodcastError, match="would disappear from the feed"):
        build(cached_demo)
    guid = "urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e02"
    build(cached_demo, allow=frozenset({guid}))
    assert guid not in items_by_guid(out)
    assert guid not in read_lock(cached_demo).published
    build(cached_demo)  # retired for good: the next build needs no --allow


def test_episode_without_guid_gets_one_that_is_locked(cached_demo: Path) -> None:
    new = cached_demo / "episodes/04-ohne-guid"
    shutil.copytree(cached_demo / "episodes/03-zu-gast-im-jugendbeirat", new)
    episode = new / "episode.md"
    text = episode.read_text().replace("number: 3", "number: 4")
    episode.write_text(text.replace('guid: "urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e03"\n', ""))
    build(cached_demo)
    first = read_lock(cached_demo).assigned["04-ohne-guid"]
    assert first.startswith("urn:uuid:") and first in items_by_guid(cached_demo / "feed")
    build(cached_demo)
    assert read_lock(cached_demo).assigned["04-ohne-guid"] == first
    assert first in items_by_guid(cached_demo / "feed")


def test_validation_gate_rejects_a_broken_feed(tmp_path: Path, cached_demo: Path) -> None:
    out = build(cached_demo).out
    xml = (out / "feed.xml").read_bytes()
    assert validate_feed(xml, "feed.xml", out, (BASE,)) == []
    built_file(out, "audio/02-frankfurt-kav.mp3").write_bytes(b"shorter")
    broken = xml.replace(b"<itunes:explicit>false</itunes:explicit>", b"", 1).replace(
        b'role="guest" group="cast"', b'role="gast" group="cast"', 1
    )
    text = "\n".join(str(p) for p in validate_feed(broken, "feed.xml", out, (BASE,)))
    assert "itunes:explicit: must be true or false" in text
    assert "role 'gast' is not in group 'cast'" in text
    assert "length" in text and "but the file has 7 bytes" in text
    bad = validate_feed(b"<rss><channel><title>x</channel></rss>", "feed.xml", out, (BASE,))
    assert "can parse it: not well-formed" in str(bad[0])


def test_items_accepted_before_are_not_parsed_again_but_still_checked(cached_demo: Path) -> None:
    out = build(cached_demo).out
    xml = (out / "feed.xml").read_bytes()
    _, items = item_digests(xml)
    known = frozenset(digest for digest, _ in items)
    document, fresh = parsed_items(xml, known)
    assert fresh == [] and b"<item>" not in document and b"<channel>" in document
    edited = xml.replace(b"<item>", b"<item><comments>https://example.org/c</comments>", 1)
    document, fresh = parsed_items(edited, known)
    assert len(fresh) == 1 and document.count(b"<item>") == 1
    assert validate_feed(edited, "feed.xml", out, (BASE,), known) == []
    # The rules and the published files are checked on every item, known or not.
    built_file(out, "audio/02-frankfurt-kav.mp3").write_bytes(b"shorter")
    problems = validate_feed(xml, "feed.xml", out, (BASE,), known)
    assert any("but the file has 7 bytes" in str(p) for p in problems)


def test_radio_feed_parses_and_links_programme_sheets(cached_demo: Path) -> None:
    out = build(cached_demo).out
    parsed = feedparser.parse((out / "radio.xml").read_bytes())
    assert not parsed.bozo
    assert parsed.feed.title == "Quer durch die Gremien (Sendefassung, EBU R128)"
    assert parsed.feed.rights.startswith("©")
    for entry in parsed.entries:
        assert entry.enclosures[0].type == "audio/wav"
        assert "programme/" in entry.link
    # Not a second podcast: its own identity, and kept out of directories.
    radio, listeners = (ET.parse(out / name).getroot().find("channel") for name in FEEDS)
    assert radio is not None and listeners is not None
    radio_guid = radio.findtext(f"{{{PODCAST}}}guid")
    assert radio_guid != listeners.findtext(f"{{{PODCAST}}}guid")
    assert radio_guid == str(uuid.uuid5(GUID_NAMESPACE, BASE.split("://")[1] + "radio.xml"))
    assert radio.findtext(f"{{{ITUNES}}}block") == "Yes"
    assert radio.findtext(f"{{{PODCAST}}}block") == "yes"
    assert listeners.find(f"{{{ITUNES}}}block") is None
    assert listeners.find(f"{{{PODCAST}}}block") is None
    assert podcastparser.parse(BASE + "radio.xml", io.BytesIO((out / "radio.xml").read_bytes()))


def test_locations_carry_rel_and_country(cached_demo: Path) -> None:
    episode = cached_demo / "episodes/02-frankfurt-kav/episode.md"
    episode.write_text(
        episode.read_text().replace("    osm: R62400", "    osm: R62400\n    country: DE")
    )
    out = build(cached_demo).out
    channel = ET.parse(out / "feed.xml").getroot().find("channel")
    assert channel is not None
    places = {element.text: element.attrib for element in channel.iter(f"{{{PODCAST}}}location")}
    assert places["Frankfurt am Main"]["rel"] == "subject"
    assert places["Frankfurt am Main"]["country"] == "DE"
    assert places["Leipzig"]["rel"] == "subject" and "country" not in places["Leipzig"]


def write_image(path: Path, size: tuple[int, int], mode: str = "RGB", fmt: str = "JPEG") -> Path:
    Image.new(mode, size, 128 if mode == "L" else (10, 20, 30, 40)[: len(mode)]).save(path, fmt)
    return path


@pytest.mark.parametrize(
    ("size", "mode", "fmt", "name", "expected"),
    [
        ((1400, 1200), "RGB", "JPEG", "a.jpg", "not square"),
        ((1000, 1000), "RGB", "JPEG", "a.jpg", "at least 1400"),
        ((1500, 1500), "RGB", "WEBP", "a.jpg", "save it as JPEG or PNG"),
    ],
)
def test_cover_errors(
    tmp_path: Path, size: tuple[int, int], mode: str, fmt: str, name: str, expected: str
) -> None:
    with pytest.raises(PodcastError, match=expected):
        load_cover(write_image(tmp_path / name, size, mode, fmt))


def test_cover_conversions_warn_and_comply(tmp_path: Path) -> None:
    big = load_cover(write_image(tmp_path / "big.png", (3200, 3200), "RGB", "PNG"))
    assert big.mime == "image/jpeg" and big.size == 3000
    assert "resized from 3200 to 3000 px" in big.warnings[0]
    cmyk = load_cover(write_image(tmp_path / "cmyk.jpg", (1400, 1400), "CMYK", "JPEG"))
    assert "converted from CMYK to RGB" in cmyk.warnings[0]
    named_wrong = load_cover(write_image(tmp_path / "cover.png", (1400, 1400), "RGB", "JPEG"))
    assert named_wrong.file_name.endswith(".jpg") and "ends in .png" in named_wrong.warnings[0]
    fine = load_cover(write_image(tmp_path / "ok.jpg", (1400, 1400)))
    assert fine.warnings == () and fine.file_name.startswith("cover-")


def test_alternate_encodings_are_normalised_and_announced(built_demo: BuildReport) -> None:
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggopus import OggOpus

    out = built_demo.out
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    raw = (out / "feed.xml").read_text()
    assert raw.count("<podcast:alternateEnclosure") == 6
    for suffix, reader in ((".m4a", MP4), (".opus", OggOpus)):
        path = built_file(out, f"audio/02-frankfurt-kav{suffix}")
        mp3 = MP3(built_file(out, "audio/02-frankfurt-kav.mp3")).info.length
        assert abs(reader(path).info.length - mp3) < 0.1
        integrated, peak = ebur128(path)
        assert abs(integrated + 16) <= 0.5 and peak <= -1.0, (suffix, integrated, peak)
        assert f'length="{path.stat().st_size}"' in raw
    assert len(parsed.entries) == 3
    radio = (out / "radio.xml").read_text()
    assert "alternateEnclosure" not in radio


@pytest.mark.parametrize("suffix", [".m4a", ".opus"])
def test_alternates_carry_tags_cover_and_chapters(built_demo: BuildReport, suffix: str) -> None:

    from tinytag import TinyTag

    slug = "01-leipzig-migrantenbeirat"
    path = built_file(built_demo.out, f"audio/{slug}{suffix}")
    tags, chapters = ffprobe_tags(path)
    assert tags["title"] == "Leipzig: Der Migrantenbeirat und die anderen Beiräte"
    assert tags["artist"] == "Redaktion Quer durch die Gremien"
    assert tags["album"] == "Quer durch die Gremien"
    assert tags["date"] == "2026-09-10"
    # Against the chapters the editors wrote, not against the build's chapters JSON.
    expected = editors_chapters(built_demo.out.parent, built_demo.out, slug)
    assert [title for _, title in chapters] == [title for _, title in expected]
    assert [start for start, _ in chapters] == pytest.approx(
        [start for start, _ in expected], abs=0.002
    )
    # A second reader: tinytag, with the cover.
    read = TinyTag.get(path, image=True)
    assert read.title == tags["title"] and read.album == "Quer durch die Gremien"
    assert str(read.year).startswith("2026")
    cover = read.images.front_cover or read.images.any
    assert cover is not None and cover.data[:3] == b"\xff\xd8\xff"  # the JPEG cover


def test_episode_cover_replaces_the_show_cover_for_that_episode(cached_demo: Path) -> None:
    folder = cached_demo / EP2
    write_image(folder / "kav.jpg", (1400, 1400))
    episode = folder / "episode.md"
    episode.write_text(
        episode.read_text().replace("episode_type: full", "episode_type: full\nimage: kav.jpg")
    )
    out = build(cached_demo).out
    cover = load_cover(folder / "kav.jpg")
    assert (out / cover.file_name).read_bytes() == cover.data
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    (entry,) = [e for e in parsed.entries if "02-frankfurt-kav" in e.link]
    assert entry.image.href == BASE + cover.file_name

    import eyed3

    (apic,) = eyed3.load(str(built_file(out, "audio/02-frankfurt-kav.mp3"))).tag.images
    assert apic.image_data == cover.embedded_jpeg
    page = (out / "episodes/02-frankfurt-kav.html").read_text()
    assert f'<meta property="og:image" content="{BASE}{cover.file_name}">' in page


def test_a_new_encoding_is_one_row_in_the_rendition_table(
    cached_demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import subprocess
    import urllib.request

    from tinytag import TinyTag

    from podcast.audio import renditions
    from podcast.serve import make_server

    flac = renditions.Rendition(
        key="flac",
        file="podcast.flac",
        mime="audio/flac",
        title="FLAC",
        audience="listeners",
        sample_rate=renditions.BROADCAST_RATE,
        encoder=lambda settings: ("-c:a", "flac"),
        muxer="flac",
        tags="flac",
    )
    monkeypatch.setattr(renditions, "RENDITIONS", (*renditions.RENDITIONS, flac))
    toml = cached_demo / "podcast.toml"
    toml.write_text(
        toml.read_text().replace(
            'alternate_encodings = ["aac", "opus"]', 'alternate_encodings = ["flac"]'
        )
    )
    out = build(cached_demo).out
    path = built_file(out, "audio/02-frankfurt-kav.flac")
    # rendered, normalised and measured like the others
    integrated, peak = ebur128(path)
    assert abs(integrated + 16) <= 0.5 and peak <= -1.0
    # announced as an alternate enclosure, tagged, and served with its type
    channel = ET.parse(out / "feed.xml").getroot().find("channel")
    assert channel is not None
    alternates = [
        (a.get("type"), a.get("title"), a[0].get("uri"))  # a[0]: its podcast:source
        for a in channel.iter(f"{{{PODCAST}}}alternateEnclosure")
    ]
    flac = built_file(out, "audio/02-frankfurt-kav.flac").relative_to(out)
    assert ("audio/flac", "FLAC", f"{BASE}{flac}") in alternates
    assert not list(out.glob("audio/02-frankfurt-kav*.m4a"))
    read = TinyTag.get(path, image=True)  # not mutagen, which added the picture
    assert read.title == "Frankfurt: Die Kommunale Ausländervertretung"
    cover = read.images.front_cover
    assert cover is not None and cover.mime_type == "image/jpeg"
    assert cover.data[:3] == b"\xff\xd8\xff"
    probed = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", path],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(json.loads(probed.stdout)["chapters"]) == 3
    server = make_server(out, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}/{flac}"
        with urllib.request.urlopen(address) as response:
            assert response.headers["Content-Type"] == "audio/flac"
    finally:
        server.shutdown()
        server.server_close()
