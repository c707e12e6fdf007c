"""Radio partners under embargo: an episode out for radio only is in no published file (walked
byte by byte), reaches the partners only through their drop boxes (a real sshd on loopback),
and says its Sperrfrist in every file they get; once public, radio.xml says when it went to
radio. Also: the tags of MP2/MP3 deliveries (read by ffprobe), bext at the radio release,
`--strict` on a slot warning, `podcast publish --to PARTNER --status`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from wavinfo import WavInfoReader

from podcast.build import BuildReport, build

from .conftest import copy_demo, seed_cache
from .helpers import built_file, edit, refused, run_cli
from .test_partners import read_cart
from .test_publish import ssh_server  # noqa: F401  (the loopback sshd, a module fixture)

DCTERMS = "http://purl.org/dc/terms/"
THIRD = "03-zu-gast-im-jugendbeirat"
THIRD_GUID = "urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e03"
THIRD_TITLE = "Zu Gast im Jugendbeirat"
SPERRFRIST = "Sperrfrist bis 10.01.2030, 18:00 (UTC+01:00)"


@pytest.fixture(scope="module")
def embargo_show(
    tmp_path_factory: pytest.TempPathFactory,
    shared_cache: Path,
    ssh_server: Path,  # noqa: F811  (the fixture imported above)
) -> tuple[Path, Path, BuildReport]:
    """The demo, built, with: the third episode under embargo (out for radio since its date,
    public in 2030, with a picture of its own); the second sent to radio a week before its
    public date (both past); radioblau (asking -14 LUFS) delivering into a drop box on the
    loopback sshd, freies-radio (MP2) into a folder, and a partner taking MP3 without a
    delivery."""
    root = tmp_path_factory.mktemp("embargo")
    show = copy_demo(root / "show")
    seed_cache(show, shared_cache)
    drops = root / "drop"
    for name in ("radioblau", "freies-radio"):
        (drops / name).mkdir(parents=True)
    toml = show / "podcast.toml"
    edit(
        toml,
        'host = "import@playout.radioblau.example"',
        f'host = "podcast-test-server"\nssh_config = "{ssh_server}"',
    )
    edit(toml, 'path = "/srv/rivendell/dropbox"', f'path = "{drops}/radioblau"')
    # louder than the true-peak ceiling lets the episodes be
    edit(toml, "loudness_lufs = -23.0", "loudness_lufs = -14.0")
    edit(
        toml,
        'kind = "ssh"\nhost = "upload@freies-radio.example"\npath = "/import/sendungen"',
        f'kind = "folder"\npath = "{drops}/freies-radio"',
    )
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + '\n[partners.abholer]\nformat = "mp3"\nbitrate_kbps = 128\n'
        + 'file_name = "abholer-{number:03d}"\n',
        encoding="utf-8",
    )
    third = show / "episodes" / THIRD
    shutil.copyfile(show / "media/cover.jpg", third / "bild.jpg")
    edit(
        third / "episode.md",
        "date: 2026-11-05T18:00:00+01:00",
        "date: 2030-01-10T18:00:00+01:00\nradio_release: 2026-11-05T18:00:00+01:00\n"
        "image: bild.jpg",
    )
    edit(
        show / "episodes/02-frankfurt-kav/episode.md",
        "date: 2026-10-08T18:00:00+02:00",
        "date: 2026-10-08T18:00:00+02:00\nradio_release: 2026-10-01T06:30:00+02:00",
    )
    # (podcast.lock knows the third as published: its retirement from the feeds is allowed)
    return show, drops, build(show, allow=frozenset({THIRD_GUID}))


def _due(show: Path, out: Path, partner: str) -> list[dict[str, Any]]:
    from podcast.outputs.partners import record_key
    from podcast.plan.cache import Cache

    record = Cache.of_show(show).get_json("partners", record_key(out))
    assert record is not None
    return list(record["partners"][partner])


def _forms(text: str) -> list[bytes]:
    """The ways `text` could be written into a file: UTF-8, HTML- and JSON-escaped, UTF-16
    (ID3 frames), ASCII-transliterated (bext, cart, INFO)."""
    from podcast.show.text import to_ascii

    forms = {text, text.replace("&", "&amp;"), json.dumps(text)[1:-1], to_ascii(text)}
    found = [form.encode() for form in forms]
    found += [text.encode("utf-16-le"), text.encode("utf-16-be")]
    return found


def test_nothing_of_an_episode_under_embargo_is_published(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    show, _, report = embargo_show
    out = report.out
    partner_stems = {
        Path(entry["file"]).stem
        for name in ("radioblau", "freies-radio", "abholer")
        for entry in _due(show, out, name)
        if entry.get("episode") == THIRD_GUID
    }
    assert len(partner_stems) == 3  # each partner has its files of it (in the cache)
    needles = [THIRD, THIRD_TITLE, THIRD_GUID, "bild", *partner_stems]
    files = [path for path in sorted(out.rglob("*")) if path.is_file()]
    assert len(files) > 30  # text and binary: pages, feeds, MP3s, WAVs, covers, JSON, CSV
    assert any(path.suffix == ".wav" for path in files)
    for path in files:
        relative = str(path.relative_to(out))
        data = path.read_bytes()
        for needle in needles:
            assert needle.lower() not in relative.lower(), relative
            for form in _forms(needle):
                assert form not in data, (relative, needle)
    # No item, no broadcast WAV, no sheet, no music row, nothing on the partners' page
    assert THIRD_GUID not in (out / "radio.xml").read_text()
    assert len(list(out.glob("broadcast/*.wav"))) == 2
    assert not list(out.glob(f"programme/{THIRD}*"))
    assert not list(out.glob("programme/music-2026-11.csv"))
    assert [e["slug"] for e in report.episodes if e.get("radio_only")] == [THIRD]
    # A partner that only pulls is told what it gets only at the public date
    assert any(
        w.startswith("podcast.toml: partners.abholer: no `delivery`, so it gets ")
        and f"'{THIRD}' only at the public date" in w
        for w in report.warnings
    ), report.warnings
    assert not any("partners.radioblau: no `delivery`" in w for w in report.warnings)


def test_once_public_radio_xml_says_when_it_went_to_radio(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    _, _, report = embargo_show
    out = report.out
    text = (out / "radio.xml").read_text()
    channel = ET.fromstring(text).find("channel")
    assert channel is not None
    items = {item.findtext("guid"): item for item in channel.findall("item")}
    second = next(e for e in report.episodes if e["slug"] == "02-frankfurt-kav")
    item = items[second["guid"]]
    # the release to partners as pubDate, the public date as an element of its own
    assert parsedate_to_datetime(item.findtext("pubDate") or "") == datetime.fromisoformat(
        "2026-10-01T06:30:00+02:00"
    )
    assert item.findtext(f"{{{DCTERMS}}}available") == "2026-10-08T18:00:00+02:00"
    built = parsedate_to_datetime(channel.findtext("lastBuildDate") or "")
    assert built <= datetime.now(UTC)
    assert all(parsedate_to_datetime(i.findtext("pubDate") or "") <= built for i in items.values())
    # the newest item appeared in it at its public date (not at its earlier radio release)
    assert built == datetime.fromisoformat("2026-10-08T18:00:00+02:00")
    # every address in it answers (here: is a file of the build)
    base = "https://podcast.example.org/quer-durch-die-gremien/"
    addresses = set(re.findall(r'(?:url|href|uri|image)="([^"]+)"', text))
    addresses |= set(re.findall(r"<link>([^<]+)</link>", text))
    funding = base + "unterstuetzen/"  # the editors' own page (podcast.toml's [funding])
    for address in sorted(addresses - {funding}):
        if address.startswith(base):
            relative = address.removeprefix(base) or "index.html"
            assert (out / relative).is_file(), address
    # bext (read by wavinfo) and the cart's air window start at the radio release
    wav = built_file(out, "broadcast/02-frankfurt-kav.wav")
    bext = WavInfoReader(str(wav)).bext
    assert (bext.originator_date, bext.originator_time) == ("2026-10-01", "06:30:00")
    cart, _ = read_cart(wav)
    assert (cart.start_date, cart.start_time) == ("2026-10-01", "06:30:00")


def test_the_partners_get_it_from_their_drop_boxes_with_the_sperrfrist(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    from podcast.publish.deliver import deliver, delivery_status

    show, drops, report = embargo_show
    due = [e for e in _due(show, report.out, "radioblau") if e["episode"] == THIRD_GUID]
    stem = "20261105_quer-durch-die-gremien_003"
    assert sorted(e["file"] for e in due) == [f"{stem}.{s}" for s in ("csv", "json", "txt", "wav")]
    # --status, before: everything due, nothing connected to
    before = delivery_status(show, "radioblau")
    assert before.last_delivery is None and len(before.due) == len(
        _due(show, report.out, "radioblau")
    )
    sent = deliver(show, "radioblau")
    assert {f"{stem}.wav", f"{stem}.json", f"{stem}.txt", f"{stem}.csv"} <= set(sent.sent)
    box = drops / "radioblau"
    # its audio, with the air window from the radio release in the cart chunk
    wav = box / f"{stem}.wav"
    cart, _ = read_cart(wav)
    assert (cart.start_date, cart.start_time) == ("2026-11-05", "18:00:00")
    assert cart.title == THIRD_TITLE and cart.cut_id == "QDG003"
    assert "Sperrfrist bis 10.01.2030, 18:00 (UTC+01:00)" in cart.tag_text
    assert cart.url == "https://podcast.example.org/quer-durch-die-gremien/radio.xml"
    bext = WavInfoReader(str(wav)).bext
    assert (bext.originator_date, bext.originator_time) == ("2026-11-05", "18:00:00")
    # its programme sheet, as JSON and as text, with the Sperrfrist
    sheet = json.loads((box / f"{stem}.json").read_text(encoding="utf-8"))
    assert sheet["title"] == THIRD_TITLE and sheet["embargo_until"] == "2030-01-10T18:00:00+01:00"
    assert sheet["audio"] == f"{stem}.wav" and "page" not in sheet
    assert [p["partner"] for p in sheet["partners"]] == ["radioblau"]
    assert sheet["partners"][0]["slot"] == "00:29:00"
    text = (box / f"{stem}.txt").read_text(encoding="utf-8")
    assert text.startswith(f"Quer durch die Gremien: {THIRD_TITLE}\nFolge 3\n{SPERRFRIST}\n")
    # its music report (radioblau's version has no intro: a header alone)
    assert (box / f"{stem}.csv").read_text().startswith("episode,use,start,duration")
    # --status, after: per episode each file with when it went, nothing due
    after = delivery_status(show, "radioblau")
    assert after.due == [] and after.last_delivery is not None
    files = dict(after.episodes)[THIRD]
    assert sorted(f.file for f in files) == sorted(e["file"] for e in due)
    assert all(
        abs(
            datetime.fromisoformat(f.delivered_at or "").timestamp() - datetime.now(UTC).timestamp()
        )
        < 600
        for f in files
    )
    shown = run_cli("publish", str(show), "--to", "radioblau", "--status")
    assert shown.returncode == 0, shown.stderr
    assert f"{THIRD}:\n    {stem}.wav: delivered 20" in shown.stdout
    assert "due:           0 files" in shown.stdout
    # the MP2 partner's upload package says the Sperrfrist too
    deliver(show, "freies-radio")
    upload = drops / "freies-radio" / "quer-durch-die-gremien-003-2026-11-05.txt"
    assert SPERRFRIST in upload.read_text(encoding="utf-8")
    # a partner that only pulls cannot be delivered to: its status says so, connecting nowhere
    pulled = delivery_status(show, "abholer")
    assert pulled.destination.startswith("no delivery") and len(pulled.episodes) == 3
    assert pulled.due == []  # nothing can be delivered to it: nothing is due


def test_at_its_date_it_is_published_and_nothing_is_delivered_again(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    from podcast.publish.deliver import deliver

    show, _, _ = embargo_show
    deliver(show, "radioblau")  # under embargo (done already when the test above ran)
    day = datetime(2030, 1, 10, 17, 0, 1, tzinfo=UTC)
    report = build(show, allow=frozenset({THIRD_GUID}), now=day)
    assert report.radio_only == 0
    out = report.out
    assert (out / f"episodes/{THIRD}.html").is_file()
    channel = ET.fromstring((out / "radio.xml").read_text()).find("channel")
    assert channel is not None
    item = next(i for i in channel.findall("item") if i.findtext("guid") == THIRD_GUID)
    assert parsedate_to_datetime(item.findtext("pubDate") or "") == datetime.fromisoformat(
        "2026-11-05T18:00:00+01:00"
    )
    assert item.findtext(f"{{{DCTERMS}}}available") == "2030-01-10T18:00:00+01:00"
    # the partner had its files since the radio release: they stay the same, none is sent again
    assert deliver(show, "radioblau").sent == []
    assert not any("partners.abholer: no `delivery`" in w for w in report.warnings)


def _format_tags(path: Path) -> dict[str, str]:
    """The tags ffprobe reads (an independent reader: ffmpeg's ID3v2 parser)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", "-show_entries", "format_tags", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    tags: dict[str, str] = json.loads(probe.stdout)["format"]["tags"]
    return {key.lower(): value for key, value in tags.items()}


@pytest.mark.parametrize(
    ("partner", "suffix", "cut_id"),
    [("freies-radio", ".mp2", "{number:03d}"), ("abholer", ".mp3", "{number:03d}")],
)
def test_mp2_and_mp3_deliveries_carry_tags(
    embargo_show: tuple[Path, Path, BuildReport], partner: str, suffix: str, cut_id: str
) -> None:
    show, _, report = embargo_show
    audio = [e for e in _due(show, report.out, partner) if e["file"].endswith(suffix)]
    assert len(audio) == 3
    for entry in audio:
        tags = _format_tags(Path(entry["path"]))
        episode = next(e for e in report.episodes if e["guid"] == entry["episode"])
        number = int(episode["slug"][:2])
        assert tags["title"] == episode["title"]
        assert tags["artist"] == "Redaktion Quer durch die Gremien"
        assert tags["album"] == "Quer durch die Gremien"
        assert tags["track"] == str(number)
        released = {1: "2026-09-10", 2: "2026-10-01", 3: "2026-11-05"}[number]
        assert tags["date"].startswith(released[:4]) and released[5:7] in tags["date"]
        assert f"CutID {cut_id.format(number=number)}" in tags["comment"]
        assert (SPERRFRIST in tags["comment"]) == (number == 3)


def test_strict_refuses_a_build_on_a_slot_warning(
    embargo_show: tuple[Path, Path, BuildReport], tmp_path: Path, shared_cache: Path
) -> None:
    from podcast.errors import PodcastError

    show, _, _ = embargo_show
    copy = copy_demo(tmp_path / "show")
    seed_cache(copy, shared_cache)
    for part in ("podcast.toml", "episodes"):
        target = copy / part
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        (shutil.copytree if (show / part).is_dir() else shutil.copyfile)(show / part, target)
    toml = copy / "podcast.toml"
    # no pull-only partner (its warning would stop --strict before any rendering)
    toml.write_text(toml.read_text(encoding="utf-8").split("\n[partners.abholer]")[0] + "\n")
    edit(toml, 'slot = "28:30"', 'slot = "00:30"')
    # nor an example address (a warning too)
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "https://podcast.example.org/", "https://gremien.radio-leipzig.de/"
        ),
        encoding="utf-8",
    )
    with pytest.raises(PodcastError) as caught:
        build(copy, strict=True, allow=frozenset({THIRD_GUID}))
    assert "partners.freies-radio.slot: '01-leipzig-migrantenbeirat' is 00:00:04 too long" in str(
        caught.value
    )
    # every episode too long is named, not only the first
    assert str(caught.value).count("partners.freies-radio.slot: '") == 2, str(caught.value)
    assert not (copy / "feed").exists()  # nothing published


# --- delivery: exact records, foreign files, outside-tester findings (issue #30) ------------


class _Station(threading.Thread):
    """A playout import that takes (removes) every file of ours the moment it sees it, counting
    how often each arrived, and kills the delivery `process` at each first sight."""

    def __init__(self, folder: Path, names: set[str]) -> None:
        super().__init__(daemon=True)
        self.folder, self.names = folder, names
        self.arrived: Counter[str] = Counter()
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for entry in os.scandir(self.folder):
                if entry.name in self.names and entry.is_file():
                    if self.process is not None and self.process.poll() is None:
                        self.process.send_signal(signal.SIGKILL)  # right after the rename
                        self.kills += 1
                    self.process = None
                    self.arrived[entry.name] += 1
                    os.unlink(entry.path)
            time.sleep(0.001)


def test_a_delivery_killed_right_after_a_rename_delivers_nothing_twice(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    from podcast.publish.deliver import deliver

    show, drops, report = embargo_show
    box = drops / "killed"
    box.mkdir()
    toml = show / "podcast.toml"
    original = toml.read_text(encoding="utf-8")
    radioblau = f'path = "{drops}/radioblau"'
    edit(toml, radioblau, f'path = "{box}"\nbandwidth_limit_kib = 20000')
    names = {e["file"] for e in _due(show, report.out, "radioblau")}
    station = _Station(box, names)
    station.start()
    try:
        for _ in range(2):
            process = subprocess.Popen(
                [sys.executable, "-m", "podcast", "publish", str(show), "--to", "radioblau"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            station.process = process
            process.wait(120)
        assert station.kills == 2, "each delivery is killed as its first file appears"
        deliver(show, "radioblau")  # the rest (in-process: one start of Python less)
        time.sleep(0.1)
    finally:
        station.stop.set()
        station.join(10)
        toml.write_text(original, encoding="utf-8")
    assert dict(station.arrived) == dict.fromkeys(names, 1)  # each once, none twice


def test_a_station_file_of_the_same_name_is_never_overwritten(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    from podcast.errors import PodcastError
    from podcast.publish.deliver import deliver

    show, drops, report = embargo_show
    box = drops / "own"
    box.mkdir()
    toml = show / "podcast.toml"
    original = toml.read_text(encoding="utf-8")
    edit(toml, f'path = "{drops}/freies-radio"', f'path = "{box}"')
    names = sorted(e["file"] for e in _due(show, report.out, "freies-radio"))
    theirs = next(n for n in names if n.endswith(".mp2"))
    (box / theirs).write_text("the station's own")
    try:
        with pytest.raises(PodcastError) as caught:
            deliver(show, "freies-radio")
        assert f"{theirs}: a file of that name is in the drop box, and this show never" in str(
            caught.value
        )
        assert (box / theirs).read_text() == "the station's own"
        assert sorted(p.name for p in box.iterdir() if not p.name.startswith(".")) == names
        # a problem with the drop box names the partner's delivery, not a [publish] target
        edit(toml, f'path = "{box}"', f'path = "{box}-gone"')
        with pytest.raises(PodcastError) as caught:
            deliver(show, "freies-radio")
        assert f"partners.freies-radio.delivery: the folder {box}-gone does not exist" in str(
            caught.value
        )
    finally:
        toml.write_text(original, encoding="utf-8")


SECOND_BOX = (
    '\n[partners.zweite]\nformat = "mp3"\nfile_name = "{partner}-{number:03d}"\n'
    '[partners.zweite.delivery]\nkind = "ssh"\nhost = "other@playout.radioblau.example"\n'
    'path = "/srv/rivendell/dropbox/"\n'
)


@pytest.mark.parametrize(
    ("added", "message"),
    [
        (
            SECOND_BOX,
            "partners.zweite.delivery: delivers into the same place as partners.radioblau",
        ),
        (
            '\n[publish.web]\nkind = "ssh"\nhost = "web@playout.radioblau.example"\n'
            'path = "/srv"\n',
            "partners.radioblau.delivery: the drop box is inside the folder of publish.web",
        ),
        (
            '\n[publish.web]\nkind = "folder"\npath = "/var/www/show"\n'
            '[partners.lokal]\n[partners.lokal.delivery]\nkind = "folder"\n'
            'path = "/var/www/show/"\n',
            "partners.lokal.delivery: the drop box is inside the folder of publish.web",
        ),
        (  # host names are the same in any case
            '\n[publish.web]\nkind = "ssh"\nhost = "web@Playout.RadioBlau.EXAMPLE"\n'
            'path = "/srv"\n',
            "partners.radioblau.delivery: the drop box is inside the folder of publish.web",
        ),
        (  # `~/www` and `www` are one folder of the login's home
            '\n[publish.web]\nkind = "ssh"\nhost = "u@heim.example"\npath = "www"\n'
            '[partners.heim]\n[partners.heim.delivery]\nkind = "ssh"\nhost = "u@heim.example"\n'
            'path = "~/www/radio"\n',
            "partners.heim.delivery: the drop box is inside the folder of publish.web",
        ),
    ],
)
def test_a_drop_box_shared_or_on_the_public_web_is_refused(
    demo: Path, added: str, message: str
) -> None:
    from podcast.show.loader import load_show

    toml = demo / "podcast.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + added, encoding="utf-8")
    lines = toml.read_text(encoding="utf-8").splitlines()
    text = refused(demo)
    assert message in text, text
    line = text.split(message)[0].rsplit("podcast.toml:", 1)[1].split(":")[0]
    assert lines[int(line) - 1].startswith("path = "), text
    if added == SECOND_BOX:  # {partner} in both names: they cannot collide
        edit(
            toml,
            'file_name = "{date:%Y%m%d}_{show}_{number:03d}"',
            'file_name = "{partner}_{number}"',
        )
        load_show(demo)


def test_a_drop_box_reached_through_a_link_into_the_web_folder_is_refused(
    demo: Path, tmp_path: Path
) -> None:
    web = tmp_path / "web"
    web.mkdir()
    (tmp_path / "link").symlink_to(web)
    toml = demo / "podcast.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + f'\n[publish.web]\nkind = "folder"\npath = "{web}"\n'
        f'[partners.lokal]\n[partners.lokal.delivery]\nkind = "folder"\n'
        f'path = "{tmp_path / "link" / "radio"}"\n',
        encoding="utf-8",
    )
    assert "partners.lokal.delivery: the drop box is inside the folder of publish.web" in (
        refused(demo)
    )


def test_check_names_a_partner_that_gets_an_episode_under_embargo_only_at_its_date(
    demo: Path,
) -> None:
    from podcast.checks import check_sources
    from podcast.show.loader import load_show

    toml = demo / "podcast.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[partners.abholer]\nformat = "mp3"\n',
        encoding="utf-8",
    )
    edit(
        demo / "episodes" / THIRD / "episode.md",
        "date: 2026-11-05T18:00:00+01:00",
        "date: 2030-01-10T18:00:00+01:00\nradio_release: 2026-11-05T18:00:00+01:00",
    )
    warnings = check_sources(load_show(demo)).warnings  # the pass `check` shares, no audio
    assert any(
        w.startswith("podcast.toml: partners.abholer: no `delivery`, so it gets ")
        and f"'{THIRD}' only at the public date" in w
        for w in warnings
    ), warnings


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "bitrate_kbps = 256",
            "bitrate_kbps = 100",
            "partners.freies-radio: bitrate_kbps: MP2 at 48 kHz has no 100 kb/s; take one of 32,",
        ),
        (
            'format = "mp2"\nbitrate_kbps = 256',
            'format = "mp3"\nbitrate_kbps = 384',
            "bitrate_kbps: MP3 at 48 kHz has no 384 kb/s",
        ),
        (
            'format = "wav"\nbits = 24',
            'format = "wav"\nbits = 24\nbitrate_kbps = 256',
            'partners.radioblau: bitrate_kbps: only for format = "mp2" or "mp3"',
        ),
        ('slot = "29:00"', 'slot = "99:99"', "slot: '99:99' is not a slot length"),
        ('slot = "29:00"', 'slot = "0"', "slot: '0' is not a slot length"),
        ('slot = "29:00"', "slot = 0", "partners.radioblau.slot: a slot of no length"),
    ],
)
def test_a_bit_rate_the_format_lacks_or_a_malformed_slot_is_refused(
    demo: Path, old: str, new: str, message: str
) -> None:
    edit(demo / "podcast.toml", old, new)
    text = refused(demo)
    assert message in text, text


def test_a_partner_added_after_the_last_build_is_told_to_build(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    from podcast.errors import PodcastError
    from podcast.publish.deliver import deliver

    show, drops, _ = embargo_show
    toml = show / "podcast.toml"
    original = toml.read_text(encoding="utf-8")
    (drops / "neu").mkdir()
    toml.write_text(
        original + f'\n[partners.neu]\n[partners.neu.delivery]\nkind = "folder"\n'
        f'path = "{drops}/neu"\n',
        encoding="utf-8",
    )
    try:
        with pytest.raises(PodcastError) as caught:
            deliver(show, "neu")
        assert "partners.neu is not in the last build" in str(caught.value)
        assert "run `podcast build`" in str(caught.value)
    finally:
        toml.write_text(original, encoding="utf-8")


def test_a_partner_file_short_of_its_asked_loudness_is_a_warning(
    embargo_show: tuple[Path, Path, BuildReport],
) -> None:
    show, _, report = embargo_show
    quiet = [w for w in report.warnings if ".loudness_lufs: " in w]
    wavs = [e for e in _due(show, report.out, "radioblau") if e["file"].endswith(".wav")]
    assert len(wavs) == 3
    for entry in wavs:
        reached = entry["reached_lufs"]
        assert reached < -14.5  # the true-peak ceiling stopped the gain
        bext = WavInfoReader(entry["path"]).bext
        assert bext.loudness_value == pytest.approx(reached, abs=0.06)
        assert f"EBU R128 {reached:.1f} LUFS" in bext.coding_history  # what it reached
        episode = next(e for e in report.episodes if e["guid"] == entry["episode"])
        said = f"partners.radioblau.loudness_lufs: '{episode['name']}' reaches {reached:.1f} LUFS"
        assert any(w.startswith(f"podcast.toml: {said} of the -14 asked") for w in quiet), quiet
    # the others reach the -23 they ask
    assert all(w.startswith("podcast.toml: partners.radioblau.") for w in quiet), quiet
