"""Transcript drafts of whole episodes: each recording decoded (its in and out points kept, on
the editors' timeline), recognised (cached by recording content, model and settings), the
speakers named where a recording or channel belongs to one person, cut into cues of at most
two caption lines, and written as WebVTT with a NOTE saying which model made it and when.

The NOTE also holds a digest of the cues as written: a draft whose cues still match it was
not edited and may be made again; any other file is an editor's and is never overwritten
(unless forced)."""

from __future__ import annotations

import re
import tempfile
import textwrap
import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from podcast.audio.tools import FFMPEG, file_arg, run
from podcast.errors import PodcastError
from podcast.outputs.timecode import clock
from podcast.plan.cache import Cache, data_digest, key_of
from podcast.show.model import Episode, Recording, Show
from podcast.transcribe.engine import (
    RATE,
    Line,
    Samples,
    Settings,
    Word,
    engine_version,
    lines_of,
    load,
    recognise,
    split_by_loudness,
)
from podcast.transcribe.model import ModelSource, resolve_model

DRAFT_FORMAT = "4"
CAPTION_LINE, CAPTION_LINES = 32, 2
DIGEST_LINE = re.compile(r"^draft-digest: ([0-9a-f]{64})$", re.MULTILINE)
UNSURE = "c.unsure"
LONGEST_S = 4 * 3600.0  # longer recordings are refused (a wrong file, most likely)
# Whisper times some words to no length at all (start = end: a word it barely heard, as in a
# multitrack's bleed-trimmed turn); a cue of such a word alone would end as it starts, which
# every reader refuses (the loader, players): it gets this much.
MIN_CUE_S = 0.1
WINDOW_S, SEAM_S = 120.0, 10.0  # recognised in windows of two minutes, cut in a quiet moment
Log = Callable[[str], None]


@dataclass
class Draft:
    """An episode's recognised lines, with what the model heard and doubted."""

    episode: Episode
    language: str  # the episode's language tag
    lines: list[Line]
    model: str
    review_below: float
    detected: str = ""  # the language Whisper hears, when it is not the episode's
    detected_probability: float = 0.0
    unsure: list[Word] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"transcript.{whisper_language(self.language)}.vtt"


def whisper_language(tag: str) -> str:
    """Whisper's language code for a BCP 47 tag: its primary subtag (de-DE -> de)."""
    return tag.split("-")[0].lower()


def terms_of(show: Show, episode: Episode) -> tuple[str, ...]:
    """The names and terms that steer recognition: persons, hosts, then the glossary."""
    names = [p.name for p in (*show.config.hosts, *episode.meta.persons)]
    names += list(show.config.transcription.glossary)
    return tuple(dict.fromkeys(names))


def settings_of(show: Show, episode: Episode) -> Settings:
    language = episode.meta.language or show.config.language
    steer = show.config.transcription.steer
    return Settings(whisper_language(language), terms_of(show, episode), steer)


def _decode(recording: Recording, folder: Path, index: int) -> Path:
    """The recording (between its in and out points) as a 16 kHz WAV: one channel, or two
    when its two channels are two speakers."""
    channels = "2" if len(recording.speakers) == 2 else "1"
    out = folder / f"{index}.wav"
    args = [*FFMPEG]
    if recording.start is not None:
        args += ["-ss", f"{recording.start:.3f}"]
    if recording.end is not None:
        args += ["-to", f"{recording.end:.3f}"]
    args += ["-i", file_arg(recording.path), "-vn", "-ac", channels, "-ar", str(RATE)]
    args += ["-c:a", "pcm_s16le", "-t", str(LONGEST_S + 1), file_arg(out)]
    run(args, recording.path, "decoding for transcription")
    with wave.open(str(out), "rb") as handle:
        if handle.getnframes() > LONGEST_S * RATE:
            raise PodcastError(
                f"{recording.path}: longer than {LONGEST_S / 3600:.0f} hours; transcribe it "
                "in parts (set start and end) or check that it is the right file"
            )
    return out


def windows(path: Path) -> Iterator[tuple[float, Samples]]:
    """A 16 kHz WAV in windows of about WINDOW_S seconds (start, samples as (frames,
    channels)), each cut at the quietest tenth of a second near its end, so memory stays flat
    for hours of audio and no window ends inside a word."""
    step = RATE // 10
    with wave.open(str(path), "rb") as handle:
        channels, total, start = handle.getnchannels(), handle.getnframes(), 0
        while start < total:
            handle.setpos(start)
            raw = handle.readframes(int((WINDOW_S + SEAM_S) * RATE))
            data = np.frombuffer(raw, dtype="<i2").astype(np.float32).reshape(-1, channels)
            data /= 32768.0
            if start + data.shape[0] >= total:
                yield start / RATE, data
                return
            seam = int((WINDOW_S - SEAM_S) * RATE)
            tail = data[seam : seam + (data.shape[0] - seam) // step * step]
            energy = (tail**2).sum(axis=1).reshape(-1, step).sum(axis=1)
            cut = seam + int(np.argmin(energy)) * step + step // 2
            yield start / RATE, data[:cut]
            start += cut


def recognise_episode(
    show: Show,
    episode: Episode,
    cache: Cache,
    model: ModelSource,
    log: Log,
    settings: Settings | None = None,
    threads: int = 0,
) -> tuple[list[Line], str, float]:
    """The episode's lines on the editors' timeline (cached), with the language heard
    (`settings` and `threads`: other than the show's, for the benchmark)."""
    settings = settings or settings_of(show, episode)
    key = key_of(
        "transcript",
        DRAFT_FORMAT,
        engine_version(),
        model.identity,
        settings.key(),
        [
            [
                cache.digest(r.path),
                r.start,
                r.end,
                list(r.speakers),
                [[cache.digest(t.path), t.person, t.role, t.offset_s] for t in r.tracks],
            ]
            for r in episode.recordings
        ],
        show.config.audio.model_dump(mode="json")
        if any(r.tracks for r in episode.recordings)
        else None,
    )
    stored = cache.get_record("transcripts", key, _read_lines)
    if stored is not None:
        return stored
    if not model.multilingual and settings.language != "en":
        raise PodcastError(
            f"{model.name}: an English-only model cannot transcribe "
            f"{settings.language}; use a multilingual one (without .en)"
        )
    whisper = load(model, threads)
    log(f"{episode.slug}: transcribing with {model.name} ...")
    lines: list[Line] = []
    offset = 0.0
    detected, probability = "", 0.0
    with tempfile.TemporaryDirectory(prefix="podcast-transcribe-") as tmp:
        for index, recording in enumerate(episode.recordings):
            if recording.tracks:
                found, length, heard, sure = _recognise_tracks(
                    show, episode, index, cache, whisper, settings, offset
                )
                lines += found
                detected, probability = _more_sure(detected, probability, heard, sure)
                offset += length
                continue
            wav = _decode(recording, Path(tmp), index)
            length = 0.0
            for start, samples in windows(wav):
                at = offset + start
                first = index == 0 and start == 0  # the language: heard at the start
                if len(recording.speakers) == 2:
                    left, right = samples[:, 0].copy(), samples[:, 1].copy()
                    for own, other, name in ((left, right, 0), (right, left, 1)):
                        found, heard, sure = recognise(
                            whisper, own, settings, at, recording.speakers[name], first
                        )
                        lines += split_by_loudness(found, own, other, at)
                        detected, probability = _more_sure(detected, probability, heard, sure)
                else:
                    speaker = recording.speakers[0] if recording.speakers else None
                    mono = samples[:, 0].copy()
                    found, heard, sure = recognise(whisper, mono, settings, at, speaker, first)
                    lines += found
                    detected, probability = _more_sure(detected, probability, heard, sure)
                length = start + samples.shape[0] / RATE
            wav.unlink()
            offset += length
    lines = without_loops(lines, settings.terms)
    lines.sort(key=lambda line: (line.start, line.speaker or ""))
    cache.put_json("transcripts", key, _write_lines(lines, detected, probability))
    return lines, detected, probability


def _recognise_tracks(
    show: Show,
    episode: Episode,
    index: int,
    cache: Cache,
    whisper: Any,
    settings: Settings,
    offset: float,
) -> tuple[list[Line], float, str, float]:
    """A multitrack recording's lines: each voice track recognised on its own (its share of
    the premix: aligned, leveled, its microphone lowered where its person is silent), every
    word named for the track's person and kept only where it is louder on that track than
    on every other (the bleed the other microphone recognised too is dropped). With the
    recording's length and the language heard."""
    from podcast.audio.multitrack import premix

    recording = episode.recordings[index]
    # Without the prompt: on a track's share, silent wherever its person is, the prompt made
    # Whisper repeat one invented line through the whole track (the demo's episode 3).
    settings = replace(settings, steer="none")
    field = f"recordings[{index}]"
    mixed = premix(recording, show.config.audio, cache, episode.source, field, voices=True)
    shares = {i: _pcm16(path) for i, path in enumerate(mixed.voices) if path is not None}
    lines: list[Line] = []
    detected, probability, length = "", 0.0, 0.0
    for i, path in enumerate(mixed.voices):
        if path is None:
            continue
        name = recording.tracks[i].name
        for start, samples in windows(path):
            at = offset + start
            first = index == 0 and start == 0 and not lines
            found, heard, sure = recognise(whisper, samples[:, 0].copy(), settings, at, name, first)
            detected, probability = _more_sure(detected, probability, heard, sure)
            others = [shares[j] for j in shares if j != i]
            for line in found:
                words = tuple(
                    w
                    for w in line.words
                    if all(_louder(shares[i], o, w.start - offset, w.end - offset) for o in others)
                )
                lines += lines_of(words, name)
            length = max(length, start + samples.shape[0] / RATE)
    return lines, length, detected, probability


def _plain_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def without_loops(lines: list[Line], terms: Sequence[str]) -> list[Line]:
    """`lines` without what Whisper makes up when it loops: a line of three words or more
    that says again what the same speaker's previous line said, and an echo of the prompt (a
    line of the names and glossary terms, one of them repeated: "Beirat, Rathaus, Beirat")."""
    prompted = {word for term in terms for word in _plain_words(term)}
    kept: list[Line] = []
    said: dict[str | None, list[str]] = {}
    for line in sorted(lines, key=lambda line: line.start):
        words = _plain_words(line.text)
        # ("Ja." twice is said; a phrase of three words or more twice in a row is a loop.)
        if not words or (len(words) >= 3 and said.get(line.speaker) == words):
            continue
        echo = sum(word in prompted for word in words) >= 0.75 * len(words)
        if echo and len(set(words)) < len(words):
            continue
        said[line.speaker] = words
        kept.append(line)
    return kept


def _pcm16(path: Path) -> np.memmap[Any, np.dtype[np.int16]]:
    """A 16-bit mono WAV's samples, mapped (memory stays flat for hours)."""
    with wave.open(str(path), "rb") as handle:
        frames = handle.getnframes()
    size = path.stat().st_size
    return np.memmap(path, dtype="<i2", mode="r", offset=size - frames * 2, shape=(frames,))


def _louder(own: np.memmap[Any, Any], other: np.memmap[Any, Any], start: float, end: float) -> bool:
    """Whether a word (seconds on the recording) is at least as loud on `own` as on `other`."""
    a, b = max(0, int(start * RATE)), max(int(start * RATE) + 1, int(end * RATE))
    mine = np.asarray(own[a:b], dtype=np.float64)
    theirs = np.asarray(other[a:b], dtype=np.float64)
    return float(np.sum(mine**2)) >= float(np.sum(theirs**2))


def _more_sure(a: str, pa: float, b: str, pb: float) -> tuple[str, float]:
    return (b, pb) if pb > pa else (a, pa)


def _write_lines(lines: list[Line], detected: str, probability: float) -> dict[str, Any]:
    return {
        "detected": detected,
        "probability": probability,
        "lines": [
            {
                "speaker": line.speaker,
                "words": [[w.start, w.end, w.text, w.probability] for w in line.words],
            }
            for line in lines
        ],
    }


def _read_lines(data: dict[str, Any]) -> tuple[list[Line], str, float]:
    lines = []
    for entry in data["lines"]:
        words = tuple(Word(float(a), float(b), str(t), float(p)) for a, b, t, p in entry["words"])
        lines.append(Line(words[0].start, words[-1].end, words, entry["speaker"]))
    return lines, str(data["detected"]), float(data["probability"])


def make_draft(show: Show, episode: Episode, cache: Cache, log: Log) -> Draft:
    """Recognise an episode (or take the cached result) into a draft."""
    model = resolve_model(show.config.transcription.model, show.root)
    lines, detected, probability = recognise_episode(show, episode, cache, model, log)
    language = episode.meta.language or show.config.language
    review_below = show.config.transcription.review_below
    unsure = [w for line in lines for w in line.words if w.probability < review_below]
    draft = Draft(episode, language, lines, model.name, review_below, unsure=unsure)
    if detected and detected != whisper_language(language) and probability >= 0.5:
        draft.detected, draft.detected_probability = detected, probability
    return draft


def cues(lines: Sequence[Line]) -> list[tuple[float, float, str | None, list[Word]]]:
    """Lines cut into cues that fit two caption lines, at sentence ends where possible, each
    timed by its own words (at least MIN_CUE_S long)."""
    out: list[tuple[float, float, str | None, list[Word]]] = []
    for line in lines:
        current: list[Word] = []
        for word in line.words:
            text = "".join(w.text for w in [*current, word]).strip()
            fits = len(textwrap.wrap(text, CAPTION_LINE)) <= CAPTION_LINES
            if current and not fits:
                # Cut after the last clause end past the first third, if there is one, so
                # a clause is not split for its last word or two.
                ends = [
                    i
                    for i, w in enumerate(current[:-1], start=1)
                    if w.text.rstrip().endswith((",", ";", ":", "\u2013"))
                    and i >= max(2, len(current) // 3)
                ]
                cut = ends[-1] if ends else len(current)
                out.append((current[0].start, current[cut - 1].end, line.speaker, current[:cut]))
                current = current[cut:]
            current.append(word)
            if word.text.rstrip().endswith((".", "?", "!")) and len(text) > CAPTION_LINE:
                out.append((current[0].start, current[-1].end, line.speaker, current))
                current = []
        if current:
            out.append((current[0].start, current[-1].end, line.speaker, current))
    # In time order (WebVTT wants it): two speakers' lines overlap, and a line is cut into
    # cues after the lines were ordered by their starts.
    timed = [(start, max(end, start + MIN_CUE_S), who, words) for start, end, who, words in out]
    return sorted(timed, key=lambda cue: (cue[0], cue[1]))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cue_text(draft: Draft) -> str:
    """The cues of the draft as WebVTT blocks; unsure words as <c.unsure> spans."""
    blocks = []
    for start, end, speaker, words in cues(draft.lines):
        parts = []
        for word in words:
            # Whisper's words carry their own leading space: a part of a compound has none.
            text = _escape(word.text.strip())
            if word.probability < draft.review_below:
                text = f"<{UNSURE}>{text}</c>"
            parts.append((" " if word.text.startswith(" ") else "") + text)
        body = "".join(parts).strip()
        if speaker:
            body = f"<v {_escape(speaker)}>{body}"
        blocks.append(f"{clock(start, True)} --> {clock(end, True)}\n{body}")
    return "\n\n".join(blocks) + "\n"


def render_vtt(draft: Draft, made: date) -> str:
    """The draft as a WebVTT file: a NOTE (model, date, what is marked, its digest), cues."""
    body = cue_text(draft)
    note = [
        "NOTE",
        f"Draft made by podcast transcribe with the model {draft.model} on {made.isoformat()}.",
        f"Words the model was unsure of are marked <{UNSURE}>...</c>: check them.",
        "Edit freely: once edited, podcast transcribe leaves this file alone.",
        f"draft-digest: {data_digest(body)}",
    ]
    text = "WEBVTT\n\n" + "\n".join(note).replace("-->", "->") + "\n\n" + body
    return text


def edited(path: Path) -> bool:
    """Whether the file at `path` is not a draft as podcast transcribe wrote it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    found = DIGEST_LINE.search(text)
    if found is None:
        return True
    _, _, body = text.partition(found.group(0) + "\n\n")
    return data_digest(body) != found.group(1)
