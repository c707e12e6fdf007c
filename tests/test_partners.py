"""Radio partners: the AES46 cart chunk read by a reader written here from the standard (not
by the code that wrote it), names kept in ASCII fields, `[partners.<name>]` deliveries to a
real sshd drop box on loopback watched by a scanner like a playout system's."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from wavinfo import WavInfoReader

from podcast.audio.timeline import Piece, Timeline
from podcast.build import BuildReport
from podcast.outputs.cart import programme_timers
from podcast.show.text import to_ascii

from .helpers import built_file

RATE = 48000


@dataclass
class Cart:
    """A cart chunk as AES46-2002 lays it out (the offsets Rivendell's rdwavefile.cpp reads)."""

    version: str
    title: str
    artist: str
    cut_id: str
    client_id: str
    category: str
    classification: str
    out_cue: str
    start_date: str
    start_time: str
    end_date: str
    end_time: str
    producer_app: str
    producer_version: str
    user_def: str
    level_reference: int
    timers: dict[str, int]
    url: str
    tag_text: str


def read_cart(path: Path) -> tuple[Cart, list[bytes]]:
    """The cart chunk of a WAV file and the ids of its chunks in file order."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    position, order, body = 12, [], b""
    while position + 8 <= len(data):
        chunk_id, size = (
            data[position : position + 4],
            struct.unpack_from("<I", data, position + 4)[0],
        )
        order.append(chunk_id)
        if chunk_id == b"cart":
            body = data[position + 8 : position + 8 + size]
        if chunk_id == b"data":
            break
        position += 8 + size + size % 2
    assert body, f"no cart chunk in {order}"

    def text(offset: int, size: int) -> str:
        raw = body[offset : offset + size].split(b"\0")[0]
        return raw.decode("ascii")  # AES46 text is ASCII: anything else fails here

    timers = {}
    for index in range(8):
        offset = 684 + index * 8
        if body[offset] != 0:
            timers[body[offset : offset + 4].decode("ascii")] = struct.unpack_from(
                "<I", body, offset + 4
            )[0]
    cart = Cart(
        version=body[0:4].decode("ascii"),
        title=text(4, 64),
        artist=text(68, 64),
        cut_id=text(132, 64),
        client_id=text(196, 64),
        category=text(260, 64),
        classification=text(324, 64),
        out_cue=text(388, 64),
        start_date=text(452, 10),
        start_time=text(462, 8),
        end_date=text(470, 10),
        end_time=text(480, 8),
        producer_app=text(488, 64),
        producer_version=text(552, 64),
        user_def=text(616, 64),
        level_reference=struct.unpack_from("<I", body, 680)[0],
        timers=timers,
        url=text(1024, 1024),
        tag_text=body[2048:].split(b"\0")[0].decode("ascii"),
    )
    return cart, order


def test_every_broadcast_wav_has_a_cart_chunk_filled_from_the_show(
    built_demo: BuildReport,
) -> None:
    manifest = json.loads((built_demo.out / "manifest.json").read_text())
    for episode in manifest["episodes"]:
        wav = built_file(built_demo.out, f"broadcast/{episode['slug']}.wav")
        cart, order = read_cart(wav)
        # beside bext and INFO, before the samples; every other reader still finds its chunks
        assert order[:1] == [b"fmt "] and order[-1] == b"data"
        assert {b"bext", b"cart", b"LIST"} <= set(order)
        assert cart.version == "0101"
        assert cart.title == to_ascii(episode["title"])
        assert cart.artist == "Redaktion Quer durch die Gremien"
        assert cart.cut_id.endswith("-" + episode["slug"])
        assert cart.client_id and cart.category == "PODCAST"
        assert cart.classification == "Quer durch die Gremien"
        assert cart.out_cue, "the last words heard"
        assert cart.start_date.startswith("2026-") and len(cart.start_time) == 8
        assert (cart.end_date, cart.end_time) == ("9999-12-31", "23:59:59")
        assert cart.producer_app == "podcast" and cart.producer_version
        assert cart.user_def == episode["guid"][:64]
        assert cart.level_reference == 0x8000
        assert cart.url.startswith("https://podcast.example.org/quer-durch-die-gremien/")
        assert "Anmoderation:" in cart.tag_text and "\r\n" in cart.tag_text
        duration = episode["renditions"]["broadcast.wav"]["duration"]
        assert cart.timers["AUDs"] == 0
        assert cart.timers["AUDe"] == pytest.approx(duration * RATE, abs=RATE * 0.01)
        # The demo has an intro: speech starts where it has faded out.
        intro = episode["inputs"][0]["duration"]
        assert cart.timers["INTs"] == 0
        assert cart.timers["INTe"] == pytest.approx(intro * RATE, abs=RATE * 0.05)
        assert "SEGs" not in cart.timers  # no outro in the demo
        info = WavInfoReader(str(wav))  # still read by the bext/INFO readers
        assert info.bext.version == 2 and info.info.title == cart.title
    first = manifest["episodes"][0]
    wav = built_file(built_demo.out, f"broadcast/{first['slug']}.wav")
    cart, _ = read_cart(wav)
    transcript = (built_demo.out.parent / "episodes" / first["slug"]).glob("*.vtt")
    assert cart.out_cue.split()[-1].strip(".") in to_ascii(next(transcript).read_text())
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=sample_rate,duration",
            "-of",
            "json",
            str(wav),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream["sample_rate"] == "48000"
    assert float(stream["duration"]) == pytest.approx(
        first["renditions"]["broadcast.wav"]["duration"], abs=0.01
    )
    if shutil.which("mediainfo"):
        seen = subprocess.run(
            [
                "mediainfo",
                "--Output=JSON",
                str(built_file(built_demo.out, "broadcast/" + first["slug"] + ".wav")),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        assert '"Format":"Wave"' in seen.stdout.replace(" ", "")


def test_timers_follow_the_programme_with_an_intro_and_an_outro() -> None:
    timeline = Timeline(
        (
            Piece("intro", 0, 8.0, 0.0, None),
            Piece("recording", 1.0, 60.0, 7.5, 1.0, crossfade=0.5),
            Piece("jingle", 0, 3.0, 67.5, None),
            Piece("recording", 0, 30.0, 70.5, 61.0),
            Piece("outro", 0, 10.0, 100.0, None, crossfade=0.5),
        )
    )
    timers = dict(programme_timers(timeline, 110.0))
    assert timers == {
        "AUDs": 0,
        "AUDe": 110 * RATE,
        "INTs": 0,
        "INTe": 8 * RATE,
        "SEGs": 100 * RATE,
        "SEGe": 110 * RATE,
    }
    plain = Timeline((Piece("recording", 0, 20.0, 0.0, 0.0),))
    assert dict(programme_timers(plain, 20.0)) == {"AUDs": 0, "AUDe": 20 * RATE}


@pytest.mark.parametrize(
    ("name", "ascii_name"),
    [
        ("Kemal Ayd\u0131n", "Kemal Aydin"),  # Turkish dotless i
        ("Şükrü Çağlayan Gökçe", "Suekrue Caglayan Goekce"),  # ü, ö as German spells them
        ("İlkay Öztürk", "Ilkay Oeztuerk"),
        ("Łukasz Wałęsa-Żółć", "Lukasz Walesa-Zolc"),  # Polish
        ("ʿAbd al-Raḥmān ibn ʿAwf", "`Abd al-Rahman ibn `Awf"),  # Arabic in Latin letters
        ("Mu\u1e25ammad \u02beA\u1e25mad \u1e62\u0101li\u1e25", "Muhammad 'Ahmad Salih"),
        ("Nguyễn Thị Minh Khai", "Nguyen Thi Minh Khai"),  # Vietnamese
        ("Đặng Văn Lâm", "Dang Van Lam"),
        ("Jürgen Groß", "Juergen Gross"),  # German as Germans spell it out
    ],
)
def test_names_keep_every_letter_in_ascii_fields(name: str, ascii_name: str) -> None:
    assert to_ascii(name) == ascii_name
    # and decomposed input (as some Mac file names come) gives the same
    import unicodedata

    assert to_ascii(unicodedata.normalize("NFD", name)) == ascii_name
