"""Offline transcription (`podcast transcribe`, `[transcription] auto`): drafts from the
default model with the network blocked in-process, nothing from silence or an intro, speakers
per channel, editors' changes kept, the model checked, a build publishing what auto made.
Two short synthesised episodes (espeak-ng German), transcribed once for the module."""

from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from podcast.errors import PodcastError
from podcast.show.loader import load_show
from podcast.show.whisper_model import described_size
from podcast.transcribe import model as model_module
from podcast.transcribe.command import Written, transcribe
from podcast.transcribe.engine import phantom

from .conftest import REPO
from .helpers import built_file, run_cli

RATE = 22050
FIRST = "Willkommen in Leipzig. Wir sind heute beim Migrantenbeirat der Stadt."
SECOND = "Vielen Dank für das Gespräch."
HOST = "Wie kommt Ihre Stimme in die anderen Beiräte?"
GUEST = "Wir schicken Delegierte in den Jugendbeirat."
INTRO_S, PAUSE_S, GAP_S = 2.0, 4.0, 5.0  # a tone intro, then silence, speech, a long pause

TOML = """title = "Test"
description = "Eine Testsendung."
author = "Redaktion"
language = "de"
base_url = "https://podcast.example.org/test/"
cover = "media/cover.jpg"
copyright = "© 2026 Redaktion"

[owner]
name = "Redaktion"
email = "redaktion@podcast.example.org"

[category]
name = "Society & Culture"

[transcription]
auto = {auto}
glossary = ["Migrantenbeirat", "Jugendbeirat"]
review_below = 0.9
"""

EPISODE = """---
title: "{title}"
number: {number}
date: 2026-09-{day}T18:00:00+02:00
summary: Ein Gespräch.
persons:
  - name: Anna Host
    role: host
recordings:
  - file: {file}
{extra}---
Notizen.
"""


def _speak(text: str, path: Path) -> None:
    subprocess.run(["espeak-ng", "-v", "de", "-s", "150", "-w", str(path), text], check=True)


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_show(root: Path, audio: Path, auto: bool) -> Path:
    """A show of two episodes without transcripts: a mono interview with an intro and long
    pauses, and a two-channel conversation (one speaker on each channel)."""
    (root / "media").mkdir(parents=True)
    shutil.copyfile(REPO / "media" / "cover.jpg", root / "media" / "cover.jpg")
    (root / "podcast.toml").write_text(TOML.format(auto=str(auto).lower()), encoding="utf-8")
    one = root / "episodes" / "01-eins"
    two = root / "episodes" / "02-zwei"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    shutil.copyfile(audio / "mono.flac", one / "interview.flac")
    shutil.copyfile(audio / "stereo.flac", two / "gespraech.flac")
    (one / "episode.md").write_text(
        EPISODE.format(title="Eins", number=1, day=10, file="interview.flac", extra=""),
        encoding="utf-8",
    )
    speakers = "    speakers: [Anna Host, Ben Gast]\n"
    (two / "episode.md").write_text(
        EPISODE.format(title="Zwei", number=2, day=11, file="gespraech.flac", extra=speakers),
        encoding="utf-8",
    )
    return root


def make_audio(folder: Path) -> Path:
    """mono.flac: intro tone, pause, FIRST, long pause, SECOND; stereo.flac: HOST on the
    left, then GUEST on the right, each heard 20 dB lower on the other channel."""
    folder.mkdir()
    for name, text in (("first", FIRST), ("second", SECOND), ("host", HOST), ("guest", GUEST)):
        _speak(text, folder / f"{name}.wav")
    _ffmpeg(
        *("-f", "lavfi", "-i", f"sine=f=660:d={INTRO_S}:r={RATE}"),
        *("-i", str(folder / "first.wav"), "-i", str(folder / "second.wav")),
        "-filter_complex",
        f"[0]volume=0.3,apad=pad_dur={PAUSE_S}[a];[1]apad=pad_dur={GAP_S}[b];"
        "[2]apad=pad_dur=1[c];[a][b][c]concat=n=3:v=0:a=1",
        *("-ar", "48000", str(folder / "mono.flac")),
    )
    _ffmpeg(
        *("-i", str(folder / "host.wav"), "-i", str(folder / "guest.wav")),
        "-filter_complex",
        "[0]apad=pad_dur=1,asplit[h1][h2];[1]apad=pad_dur=1,asplit[g1][g2];"
        "[h1]apad=pad_dur=0[hl];[g2]volume=0.1[gl];"
        "[hl]adelay=0,apad=whole_dur=12[hl2];[gl]adelay=5000,apad=whole_dur=12[gl2];"
        "[h2]volume=0.1,apad=whole_dur=12[hr];[g1]adelay=5000,apad=whole_dur=12[gr];"
        "[hl2][gl2]amix=inputs=2:normalize=0[left];[hr][gr]amix=inputs=2:normalize=0[right];"
        "[left][right]join=inputs=2:channel_layout=stereo",
        *("-ar", "48000", str(folder / "stereo.flac")),
    )
    return folder


@dataclass
class Transcribed:
    show: Path
    auto_show: Path
    written: list[Written]
    connects: list[object]  # what tried to open a socket while transcribing


def block_network(patch: pytest.MonkeyPatch) -> list[object]:
    """Refuse every connection in this process while `patch` holds; the addresses tried."""
    connects: list[object] = []

    def refuse(self: socket.socket | None, address: object) -> None:
        connects.append(address)
        raise OSError("network blocked by the test")

    patch.setattr(socket.socket, "connect", refuse)
    patch.setattr(socket.socket, "connect_ex", refuse)
    # A name looked up is a connection about to be made (here, before connect is called).
    patch.setattr(socket, "getaddrinfo", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    return connects


@pytest.fixture(scope="module")
def transcribed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Transcribed]:
    base = tmp_path_factory.mktemp("transcribe")
    audio = make_audio(base / "audio")
    show = make_show(base / "show", audio, auto=False)
    auto_show = make_show(base / "auto", audio, auto=True)
    with pytest.MonkeyPatch.context() as patch:
        # No network, and a fresh user cache: the default model is joined and checked here.
        connects = block_network(patch)
        patch.setenv("XDG_CACHE_HOME", str(base / "user-cache"))
        patch.setenv("HF_HUB_OFFLINE", "0")
        written = transcribe(show, today=date(2026, 9, 1))
        yield Transcribed(show, auto_show, written, connects)


def _draft(show: Path, slug: str) -> str:
    return (show / "episodes" / slug / "transcript.de.vtt").read_text(encoding="utf-8")


def _cues(text: str) -> list[tuple[float, float, str]]:
    from podcast.show.fields import parse_timestamp

    out = []
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if "-->" in line:
            start, _, end = line.partition(" --> ")
            out.append(
                (float(parse_timestamp(start)), float(parse_timestamp(end)), lines[index + 1])
            )
    return out


def test_draft_written_named_and_offline(transcribed: Transcribed) -> None:
    assert transcribed.connects == []  # nothing even tried the network
    assert [w.named for w in transcribed.written] == [True, True]
    text = _draft(transcribed.show, "01-eins")
    assert text.startswith("WEBVTT\n\nNOTE\n")
    assert "model whisper-base on 2026-09-01" in text
    assert "Migrantenbeirat" in text and "Gespräch" in text  # the glossary as prompt
    assert "<v " not in text  # one microphone, no speakers named: no guessed names
    show = load_show(transcribed.show)  # episode.md names it, and it loads
    assert [t.path.name for t in show.episodes[0].transcripts] == ["transcript.de.vtt"]
    assert (transcribed.show / "episodes/01-eins/episode.md").read_text().endswith("Notizen.\n")


def test_nothing_from_the_intro_or_the_pauses(transcribed: Transcribed) -> None:
    cues = _cues(_draft(transcribed.show, "01-eins"))
    speech = INTRO_S + PAUSE_S
    assert cues and cues[0][0] >= speech - 0.5, cues
    # The second sentence comes after the long pause; no cue lies inside it.
    first_end = max(end for start, end, _ in cues if start < speech + 6)
    assert all(not (first_end + 0.5 < start < first_end + GAP_S - 1) for start, _, _ in cues)


def test_speakers_from_their_channels(transcribed: Transcribed) -> None:
    cues = _cues(_draft(transcribed.show, "02-zwei"))
    host = [text for start, _, text in cues if start < 4.5]
    guest = [text for start, _, text in cues if start >= 4.5]
    assert host and all(t.startswith("<v Anna Host>") for t in host), cues
    assert guest and all(t.startswith("<v Ben Gast>") for t in guest), cues
    # What the other microphone picked up is not transcribed twice.
    assert not any("Jugendbeirat" in t or "Delegierte" in t for t in host)


def test_unsure_words_marked_and_listed(transcribed: Transcribed) -> None:
    draft = transcribed.written[0].draft
    assert draft.unsure and all(w.probability < 0.9 for w in draft.unsure)
    assert "<c.unsure>" in _draft(transcribed.show, "01-eins")


def test_editors_changes_are_kept(transcribed: Transcribed) -> None:
    path = transcribed.show / "episodes" / "02-zwei" / "transcript.de.vtt"
    again = transcribe(transcribed.show, ("2",), today=date(2026, 9, 2))  # cached: quick
    assert again[0].path == path and "on 2026-09-02" in path.read_text()  # untouched: redone
    edited = path.read_text().replace("Ben Gast", "Benedikt Gast")
    path.write_text(edited, encoding="utf-8")
    result = run_cli("transcribe", "02-zwei", "--show-dir", str(transcribed.show))
    assert result.returncode == 0, result.stderr
    assert "changed by an editor" in result.stderr and "--force" in result.stderr
    assert path.read_text() == edited
    forced = transcribe(transcribed.show, ("02-zwei",), force=True)
    assert forced[0].path == path and "Benedikt" not in path.read_text()


def test_auto_build_publishes_transcripts(transcribed: Transcribed, auto_built: Path) -> None:
    show, out = transcribed.auto_show, auto_built
    assert not (show / "episodes/01-eins/transcript.de.vtt").exists()  # sources untouched
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert feed.count("<podcast:transcript") >= 6  # two episodes, three formats
    captions = built_file(out, "transcripts/02-zwei.de.vtt").read_text(encoding="utf-8")
    assert "<v Ben Gast>" in captions and "unsure" not in captions  # marks are for editors
    assert "Migrantenbeirat" in built_file(out, "transcripts/01-eins.de.vtt").read_text()
    assert "Migrantenbeirat" in (out / "episodes" / "01-eins.html").read_text(encoding="utf-8")
    # The programme sheet: the first and the last sentence, for the presenter.
    sheet = json.loads(next((out / "programme").glob("01-eins*.json")).read_text())
    assert "Willkommen" in sheet["first_sentence"]["text"]
    assert sheet["first_sentence"]["time"] >= "00:00:05"  # after the intro and the pause
    assert "Gespräch" in sheet["last_sentence"]["text"]
    assert "Erster Satz" in (out / "programme" / "01-eins.html").read_text(encoding="utf-8")


def test_default_model_refuses_a_mismatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for part in (1, 2):
        data = tmp_path / f"part{part}"
        data.mkdir()
        (data / f"model.bin.part{part}").write_bytes(b"not the model")
    monkeypatch.setattr(model_module, "_package_data", lambda p: tmp_path / f"part{p[-1]}")
    with pytest.raises(PodcastError) as caught:
        model_module.default_model(tmp_path / "cache")
    assert "not the pinned" in str(caught.value) and "--force-reinstall" in str(caught.value)
    assert not any((tmp_path / "cache").rglob("model.bin"))  # nothing half-joined is kept


def test_the_model_cache_never_writes_through_a_link(tmp_path: Path) -> None:
    """Links left in the model cache (by a user, a tool or an attacker with access to it) are
    replaced, never written through: an outside round's /etc/passwd once came out as the
    model's vocabulary."""
    probe = model_module.default_model(tmp_path / "probe")  # the cache folder's name
    folder = tmp_path / "cache" / probe.folder.name
    folder.mkdir(parents=True)
    victims = {}
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        victims[name] = tmp_path / f"victim-{name}"
        victims[name].write_text("precious")
        (folder / name).symlink_to(victims[name])
    model = model_module.default_model(tmp_path / "cache")
    for name, victim in victims.items():
        assert victim.read_text() == "precious", name
        assert not (model.folder / name).is_symlink() and (model.folder / name).is_file(), name
    # A joined model.bin cut short (header intact: an interrupted copy, a full disk) does not
    # pass for the model: it is joined again, by its pinned size.
    assert model.folder is not None
    with (model.folder / "model.bin").open("r+b") as handle:
        handle.truncate(50 << 20)
    again = model_module.default_model(tmp_path / "cache")
    assert again.folder is not None and (again.folder / "model.bin").stat().st_size == 145217532
    # The header walk agrees with the real file, to the byte.
    assert described_size(again.folder / "model.bin") == (145217532, 145217532)


def test_known_phantom_lines() -> None:
    assert phantom(" Untertitel im Auftrag des ZDF, 2017")
    assert phantom("Untertitel von Stephanie Geiges")
    assert phantom("Untertitelung des ZDF für funk, 2017")
    assert phantom(" ...")
    assert not phantom("Wir schicken Delegierte in den Jugendbeirat.")
    assert not phantom("Sehr gern, bis zum nächsten Mal.")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def auto_built(transcribed: Transcribed) -> Path:
    """The auto show built once (its recognition shared from the transcribed show)."""
    from podcast.build import build

    show = transcribed.auto_show
    # The recognition is cached by recording content, model and settings: share it.
    (show / ".cache" / "podcast").mkdir(parents=True)
    shutil.copytree(
        transcribed.show / ".cache" / "podcast" / "transcripts",
        show / ".cache" / "podcast" / "transcripts",
    )
    return build(show, show / "feed").out


def test_search_index_stems_and_times(auto_built: Path) -> None:
    page = (auto_built / "search.html").read_text(encoding="utf-8")
    data = page.split('<script type="application/json" id="search-index">')[1]
    index = json.loads(data.split("</script>")[0])
    said = [e for e in index["entries"] if e[1] >= 0 and "Migrantenbeirat" in e[2]]
    assert said and 5 < said[0][1] < 12  # where it is said, after the intro and the pause
    assert index["forms"]["gespräch"] == "gesprach"  # Snowball's German stemmer
    notes = [e for e in index["entries"] if e[2] == "Notizen."]
    assert len(notes) == 2 and notes[0][1] == -1  # the show notes are searched too


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium: install Debian's chromium package")
def test_search_in_a_real_browser_served_and_from_file(auto_built: Path) -> None:
    from playwright.sync_api import sync_playwright

    from podcast.serve import make_server

    server = make_server(auto_built, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"],
            )
            for base in (served, (auto_built).as_uri()):
                page = browser.new_page()
                problems: list[str] = []

                def console(message: Any, problems: list[str] = problems) -> None:
                    if message.type == "error":
                        problems.append(message.text)

                page.on("console", console)
                page.on("pageerror", lambda error, problems=problems: problems.append(str(error)))
                # An inflection the recordings never use finds the word they use.
                page.goto(f"{base}/search.html?q=Gespr%C3%A4che")
                hit = page.locator("#search-results a").first
                hit.wait_for(timeout=10000)
                href = hit.get_attribute("href") or ""
                assert href.startswith("episodes/01-eins.html#t="), href
                assert "Gespräch" in page.locator("#search-results p").first.inner_text()
                page.fill("#q", "heute migrantenbeirat")  # every word must be in the sentence
                assert "Migrantenbeirat" in page.locator("#search-results p").first.inner_text()
                hit = page.locator("#search-results a").first
                seconds = float((hit.get_attribute("href") or "").split("#t=")[1])
                hit.click()  # lands on the episode page, at that moment
                page.wait_for_function(
                    f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 1.5",
                    timeout=10000,
                )
                # A malformed address (an outside tester's) neither stops the page nor the search.
                page.goto(f"{base}/search.html?q=%E0%A4%A")
                page.fill("#q", "migrantenbeirat")
                page.locator("#search-results a").first.wait_for(timeout=10000)
                assert problems == [], problems
                page.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def test_silence_and_music_give_no_draft(tmp_path: Path, transcribed: Transcribed) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    # Half a minute of a quiet tone, a chord and silence: no speech anywhere.
    _ffmpeg(
        *("-f", "lavfi", "-i", "sine=f=220:d=10:r=22050", "-f", "lavfi"),
        *("-i", "sine=f=330:d=10:r=22050", "-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono"),
        "-filter_complex",
        "[0]volume=0.2[a];[1]volume=0.2[b];[2]atrim=0:10[c];[a][b][c]concat=n=3:v=0:a=1",
        str(audio / "mono.flac"),
    )
    shutil.copyfile(audio / "mono.flac", audio / "stereo.flac")
    show = make_show(tmp_path / "show", audio, auto=False)
    (show / "episodes" / "02-zwei").rename(tmp_path / "unused")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(transcribed.show.parent / "user-cache"))
        written = transcribe(show)
    assert written[0].path is None and written[0].draft.lines == []
    assert not (show / "episodes" / "01-eins" / "transcript.de.vtt").exists()
    assert "transcripts" not in (show / "episodes" / "01-eins" / "episode.md").read_text()


def test_long_recordings_are_read_in_windows_cut_in_quiet_moments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wave

    import numpy as np

    from podcast.transcribe import draft

    monkeypatch.setattr(draft, "WINDOW_S", 10.0)
    monkeypatch.setattr(draft, "SEAM_S", 2.0)
    # 25 s of loud noise with a quiet tenth of a second at 9.3 s and at 19.05 s.
    rng = np.random.default_rng(1)
    samples = rng.uniform(-0.5, 0.5, 25 * 16000)
    for quiet in (9.3, 19.05):
        samples[int(quiet * 16000) : int((quiet + 0.1) * 16000)] = 0
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes((samples * 32767).astype("<i2").tobytes())
    parts = list(draft.windows(path))
    starts = [start for start, _ in parts]
    assert len(parts) == 3 and abs(starts[1] - 9.35) < 0.06 and abs(starts[2] - 19.1) < 0.06
    assert sum(p.shape[0] for _, p in parts) == samples.size  # nothing lost, nothing twice


def test_another_language_than_the_episodes_is_named(
    tmp_path: Path, transcribed: Transcribed
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    english = "Welcome to the show. Today we talk about the advisory council of the city."
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(audio / "en.wav"), english], check=True)
    _ffmpeg("-i", str(audio / "en.wav"), str(audio / "mono.flac"))
    shutil.copyfile(audio / "mono.flac", audio / "stereo.flac")
    show = make_show(tmp_path / "show", audio, auto=False)
    (show / "episodes" / "02-zwei").rename(tmp_path / "unused")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(transcribed.show.parent / "user-cache"))
        written = transcribe(show)
    assert written[0].draft.detected == "en" and written[0].draft.language == "de"


def test_cues_fit_two_caption_lines_and_cut_at_clauses(tmp_path: Path) -> None:
    import textwrap

    from podcast.show.transcripts import read_transcript
    from podcast.transcribe.draft import Draft, cue_text, cues
    from podcast.transcribe.engine import Line, Word

    text = " Willkommen in Leipzig, wir sind heute beim Migrantenbeirat der Stadt Leipzig und"
    text += " sprechen über Delegierte. Danach geht es um den Jugendbeirat."
    words = tuple(Word(i * 0.4, i * 0.4 + 0.3, f" {w}", 0.9) for i, w in enumerate(text.split()))
    made = cues([Line(0.0, words[-1].end, words, "Anna")])
    texts = ["".join(w.text for w in c[3]).strip() for c in made]
    assert texts[0] == "Willkommen in Leipzig,"  # a clause, not cut for its last words
    assert all(len(textwrap.wrap(t, 32)) <= 2 for t in texts), texts
    assert " ".join(texts) == text.strip()  # every word once, in order
    assert all(c[0] == c[3][0].start and c[1] == c[3][-1].end and c[2] == "Anna" for c in made)
    # A word Whisper timed to no length, alone in its cue (a 3-hour run wrote one: the
    # loader refused the draft, "cue 2967 ends before it starts"): the cue still ends after
    # it starts, and the draft reads back.
    lone = (Word(5.0, 5.0, " Sehr", 0.9), Word(5.0, 5.0, " gut.", 0.9))
    lines = [Line(0.0, words[-1].end, words, "Anna"), Line(5.0, 5.0, lone, "Ben")]
    made = cues(lines)
    assert all(c[1] > c[0] for c in made) and (5.0, 5.1) in [c[:2] for c in made]
    vtt = tmp_path / "draft.vtt"
    vtt.write_text("WEBVTT\n\n" + cue_text(Draft(None, "de", lines, "m", 0.5)))  # type: ignore[arg-type]
    assert "Sehr gut." in [cue.text for cue in read_transcript(vtt)]


def test_without_the_extra_a_clear_message(
    transcribed: Transcribed, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # as if not installed
    with pytest.raises(PodcastError) as caught:
        transcribe(transcribed.show, ("1",))
    assert "pip install 'podcast[transcribe]'" in str(caught.value)


SRT = "1\n00:00:00,500 --> 00:00:01,500\nGuten Abend.\n"


def _quiet_show(root: Path, transcripts: str) -> Path:
    """A show of one episode of a second of silence (never transcribed) naming
    `transcripts` (front matter lines)."""
    audio = root.parent / f"{root.name}-audio"
    audio.mkdir()
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:d=1", str(audio / "mono.flac"))
    shutil.copyfile(audio / "mono.flac", audio / "stereo.flac")
    show = make_show(root, audio, auto=True)
    shutil.rmtree(show / "episodes" / "02-zwei")
    episode = show / "episodes" / "01-eins"
    (episode / "editor.srt").write_text(SRT, encoding="utf-8")
    text = (episode / "episode.md").read_text(encoding="utf-8")
    (episode / "episode.md").write_text(text.replace("---\nNotizen", transcripts + "---\nNotizen"))
    return show


def test_an_editors_transcript_in_the_language_is_left_alone(tmp_path: Path) -> None:
    from podcast.plan.cache import Cache
    from podcast.transcribe.command import auto_transcripts

    show = _quiet_show(tmp_path / "show", "transcripts:\n  - file: editor.srt\n    language: de\n")
    source = show / "episodes" / "01-eins" / "episode.md"
    before = source.read_text(encoding="utf-8")
    # Not even forced: the editors' file has another name than the draft's.
    written = transcribe(show, force=True)
    assert written[0].path is None and written[0].draft is None
    assert "editor.srt" in written[0].note and "remove it from transcripts" in written[0].note
    assert not (source.parent / "transcript.de.vtt").exists()
    assert source.read_text(encoding="utf-8") == before
    result = run_cli("transcribe", "--show-dir", str(show))
    assert result.returncode == 0 and "editor.srt in de: left alone" in result.stderr
    # The build's auto leaves it alone too: the editors' transcript stays the one published.
    loaded = load_show(show)
    cache = Cache.of_show(show)
    assert auto_transcripts(loaded, list(loaded.episodes), cache, lambda _: None) == loaded


def test_two_transcripts_of_one_language_are_refused(tmp_path: Path) -> None:
    entries = (
        "transcripts:\n  - file: editor.srt\n    language: de\n"
        "  - file: transcript.de.vtt\n    language: de-DE\n"
    )
    show = _quiet_show(tmp_path / "two", entries)
    (show / "episodes" / "01-eins" / "transcript.de.vtt").write_text(
        "WEBVTT\n\n00:00.500 --> 00:01.500\nGuten Abend.\n", encoding="utf-8"
    )
    with pytest.raises(PodcastError) as caught:
        load_show(show)
    message = str(caught.value)
    assert "episode.md:14: transcripts: transcript.de.vtt (de-DE) is a second transcript" in message
    assert "remove the other from transcripts" in message


def _model_folder(folder: Path, **damaged: str) -> Path:
    """A folder shaped like a CTranslate2 Whisper model (not a working one), with the files
    given in `damaged` (model_bin=..., config_json=...) replaced by their text."""
    folder.mkdir(parents=True)
    header = b"\x06\x00\x00\x00\x0c\x00WhisperSpec\x00"
    (folder / "model.bin").write_bytes(header + bytes(1 << 20))
    config = {"alignment_heads": [[3, 1]], "lang_ids": [50259, 50260]}
    config |= {"suppress_ids": [1], "suppress_ids_begin": [220]}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "vocabulary.txt").write_text('!\n"\n#\n')
    (folder / "tokenizer.json").write_text('{"version": "1.0", "model": {"type": "BPE"}}')
    for key, text in damaged.items():
        (folder / key.replace("_", ".")).write_text(text)
    return folder


def _with_model(show: Path, model: str) -> Path:
    with (show / "podcast.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'model = "{model}"\n')  # the last table is [transcription]
    return show


def test_model_folder_checked_when_loading(tmp_path: Path) -> None:
    show = _quiet_show(tmp_path / "show", "")
    toml = show / "podcast.toml"
    base = toml.read_text(encoding="utf-8")
    line = base.count("\n") + 1

    def problems(model: str) -> str:
        toml.write_text(base, encoding="utf-8")
        _with_model(show, model)
        with pytest.raises(PodcastError) as caught:
            load_show(show)
        return str(caught.value)

    missing = problems("models/missing")
    assert f"podcast.toml:{line}: transcription.model: the model folder " in missing
    assert f"{show}/models/missing does not exist" in missing and "ct2-transformers" in missing
    _model_folder(show / "models" / "damaged", model_bin="junk", config_json="{}")
    for name in ("vocabulary.txt", "tokenizer.json"):
        (show / "models" / "damaged" / name).write_text("")
    damaged = problems("models/damaged")
    folder = show / "models" / "damaged"
    assert f"{folder}/model.bin: not a CTranslate2 Whisper model (4 bytes, too small" in damaged
    assert f"{folder}/config.json: not a Whisper model's configuration (without sup" in damaged
    assert f"{folder}/vocabulary.txt: empty" in damaged
    assert f"{folder}/tokenizer.json: not readable JSON" in damaged
    assert "English-only" not in damaged
    (folder / "tokenizer.json").unlink()
    assert f"{folder}/tokenizer.json: missing" in problems("models/damaged")
    assert "'whisper-small' is neither a folder nor a model name" in problems("whisper-small")
    # A folder outside the show (models are big and shared by shows), a known name: accepted.
    _model_folder(tmp_path / "models" / "mine")
    for model in ("../models/mine", str(tmp_path / "models" / "mine"), "small"):
        toml.write_text(base, encoding="utf-8")
        assert load_show(_with_model(show, model)).config.transcription.model == model
    # A model.bin cut short behind an intact header: its header promises more than it has.
    cut = _model_folder(show / "models" / "cut")
    header = b"\x06\x00\x00\x00\x0c\x00WhisperSpec\x00" + struct.pack("<II", 3, 1)
    variable = b"\x08\x00weights\x00" + struct.pack("<BIIBI", 2, 1024, 2048, 0, 2 << 20)
    (cut / "model.bin").write_bytes(header + variable + bytes(1 << 20))
    refused = problems("models/cut")
    assert f"{cut}/model.bin: cut short: {len(header + variable) + (1 << 20)} bytes, " in refused
    assert f"header describes at least {len(header + variable) + (2 << 20)} (an inter" in refused
    # Damaged past what the loader reads: CTranslate2's refusal names the folder and model.bin.
    toml.write_text(base, encoding="utf-8")
    with pytest.raises(PodcastError) as caught:
        transcribe(_with_model(show, "../models/mine"))
    assert f"{tmp_path}/models/mine: cannot load the transcription model: its model.bin" in str(
        caught.value
    )


def test_a_missing_model_folder_never_goes_to_the_network(tmp_path: Path) -> None:
    show = _with_model(_quiet_show(tmp_path / "show", ""), "models/missing")
    with pytest.MonkeyPatch.context() as patch:
        connects = block_network(patch)
        with pytest.raises(PodcastError) as caught:
            transcribe(show)
    assert "models/missing does not exist" in str(caught.value) and connects == []
    result = run_cli("check", str(show))
    assert result.returncode == 1 and "transcription.model: the model folder" in result.stderr


def test_loops_and_prompt_echoes_are_dropped_and_cues_come_in_time_order() -> None:
    """An outside round: a line Whisper repeated through a whole track, the prompt echoed at a
    recording's cut-off end ("Beirat, Rathaus, Beirat, ..."), and two speakers' overlapping
    lines whose cues came out of time order (WebVTT wants them in order)."""
    from podcast.transcribe.draft import cues, without_loops
    from podcast.transcribe.engine import Line, Word

    def line(start: float, text: str, who: str) -> Line:
        words = tuple(
            Word(start + i * 0.3, start + i * 0.3 + 0.25, " " + word, 0.9)
            for i, word in enumerate(text.split())
        )
        return Line(words[0].start, words[-1].end, words, who)

    looped = [
        line(1.0, "ich bin ein bisschen", "B"),
        line(3.0, "ich bin ein bisschen", "B"),
        line(6.0, "Beirat, Rathaus, Beirat, Rathaus", "A"),
        line(8.0, "Der Beirat tagt.", "A"),
        line(10.0, "Ja.", "A"),
        line(12.0, "Ja.", "A"),  # said twice, not a loop
    ]
    kept = without_loops(looped, ("Beirat", "Rathaus"))
    assert [kept_line.text for kept_line in kept] == [
        "ich bin ein bisschen",
        "Der Beirat tagt.",
        "Ja.",
        "Ja.",
    ]
    long = line(0.0, "eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn", "A")
    starts = [cue[0] for cue in cues([long, line(1.4, "ja", "B")])]
    assert len(starts) == 3 and starts == sorted(starts)
