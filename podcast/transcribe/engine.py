"""Speech to timed words with faster-whisper (CTranslate2, int8 on the CPU): speech is found
first (faster-whisper's Silero VAD, shipped inside the package), nothing is transcribed from
silence, and the lines Whisper is known to invent in German silence are dropped when they
stand alone. Names and glossary terms steer the recogniser as an initial prompt or as
hotwords (benchmarks/transcribe.py measures which works better)."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from podcast.errors import PodcastError
from podcast.transcribe.model import INSTALL_HINT, ModelSource

if TYPE_CHECKING:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

RATE = 16000
Steer = Literal["prompt", "hotwords", "both", "none"]
Samples = npt.NDArray[np.float32]

# Lines Whisper writes into silence or music, learnt from German TV subtitles; dropped when a
# line says nothing else.
PHANTOMS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"untertitel(ung)? (im auftrag )?(des|der|von) .*",
        r"untertitel von .*",
        r".*amara\.org.*",
        r"(copyright )?wdr( \d{4})?",
        r"swr( \d{4})?",
        r"vielen dank (fürs|für's|für das|für ihre) (zuschauen|zusehen|aufmerksamkeit)",
        r"danke (fürs|für's) zuschauen",
        r"(sous-titres|subtitles) .*",
        r"\.+",
        r"♪+",
    )
]


@dataclass(frozen=True)
class Word:
    """One recognised word, times in seconds on the editors' timeline."""

    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Line:
    """One recognised phrase, with who said it when that is known."""

    start: float
    end: float
    words: tuple[Word, ...]
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass(frozen=True)
class Settings:
    """What steers recognition (part of every cache key)."""

    language: str  # the two-letter Whisper language: de
    terms: tuple[str, ...] = ()  # the persons' names and the glossary
    steer: Steer = "prompt"
    # Greedy decoding, one speech segment after the other: measured the fastest way that
    # keeps the prompt's benefit (README: beam search of 5 took twice the time, the batched
    # pipeline skipped sentences with a prompt).
    beam_size: int = 1
    batch_size: int = 0  # 0: one segment after the other; n: n speech chunks decoded at once

    def key(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "terms": list(self.terms),
            "steer": self.steer,
            "beam": self.beam_size,
            "batch": self.batch_size,
        }


def phantom(text: str) -> bool:
    """Whether a line is one of Whisper's known inventions (standing alone)."""
    plain = text.strip().strip("!?.,;: ").strip()
    return not plain or any(p.fullmatch(plain) for p in PHANTOMS)


def engine_version() -> str:
    """faster-whisper's version (part of every cache key), or a clear error without it."""
    try:
        from faster_whisper import __version__
    except ImportError as exc:
        raise PodcastError(f"transcription needs faster-whisper; {INSTALL_HINT}") from exc
    return str(__version__)


_LOAD_LOCK = threading.Lock()
_LOADED: dict[str, WhisperModel] = {}


def load(model: ModelSource, threads: int = 0) -> WhisperModel:
    """The model, loaded once per process (under a lock: compiled modules imported lazily from
    several threads can deadlock)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise PodcastError(f"transcription needs faster-whisper; {INSTALL_HINT}") from exc
    # CTranslate2's default is 4 threads: more than a small machine has cores.
    threads = threads or min(4, os.cpu_count() or 1)
    with _LOAD_LOCK:
        key = f"{model.folder or model.name}|{threads}"
        if key not in _LOADED:
            try:
                _LOADED[key] = WhisperModel(
                    str(model.folder) if model.folder is not None else model.name,
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=threads,
                    local_files_only=model.folder is not None,
                )
            except Exception as exc:  # CTranslate2 raises RuntimeError, the hub its own
                where = model.folder or model.name
                damaged = (
                    f"{model.folder}: cannot load the transcription model: its model.bin is "
                    "damaged or does not fit the files beside it"
                    if model.folder is not None
                    else f"{where}: cannot load the transcription model"
                )
                raise PodcastError(
                    f"{damaged} ({exc}); use a complete CTranslate2 Whisper model folder "
                    "(copy or convert it again), or remove [transcription] model to use the "
                    "default"
                ) from exc
        return _LOADED[key]


_PIPELINES: dict[int, BatchedInferencePipeline] = {}


def _batched(whisper: WhisperModel) -> BatchedInferencePipeline:
    """faster-whisper's batched pipeline around a loaded model (one per model)."""
    from faster_whisper import BatchedInferencePipeline

    with _LOAD_LOCK:
        if id(whisper) not in _PIPELINES:
            _PIPELINES[id(whisper)] = BatchedInferencePipeline(whisper)
        return _PIPELINES[id(whisper)]


def recognise(
    whisper: WhisperModel,
    samples: Samples,
    settings: Settings,
    offset: float = 0.0,
    speaker: str | None = None,
    detect: bool = True,
) -> tuple[list[Line], str, float]:
    """Lines of one mono signal (16 kHz), times moved by `offset`; with the language Whisper
    hears in it and how sure it is (when `detect`)."""
    steering: dict[str, Any] = {}
    if settings.terms and settings.steer in ("prompt", "both"):
        steering["initial_prompt"] = ", ".join(settings.terms) + "."
    if settings.terms and settings.steer in ("hotwords", "both"):
        steering["hotwords"] = " ".join(settings.terms)
    common: dict[str, Any] = {
        "language": settings.language,
        "beam_size": settings.beam_size,
        "word_timestamps": True,
        "vad_filter": True,
        "vad_parameters": {"min_silence_duration_ms": 500, "speech_pad_ms": 200},
        "condition_on_previous_text": False,  # one invented line does not breed more
        "temperature": 0.0,
        **steering,
    }
    if settings.batch_size:
        segments, _info = _batched(whisper).transcribe(
            samples, batch_size=settings.batch_size, **common
        )
    else:
        segments, _info = whisper.transcribe(samples, **common)
    lines: list[Line] = []
    for segment in segments:
        if phantom(segment.text) or not segment.words:
            continue
        words = tuple(
            Word(
                round(w.start + offset, 3),
                round(w.end + offset, 3),
                w.word,
                round(float(w.probability), 3),
            )
            for w in segment.words
        )
        lines += lines_of(words, speaker)
    detected = _detected_language(whisper, samples) if detect else ("", 0.0)
    return lines, detected[0], detected[1]


# Words further apart than this are two phrases: Whisper's speech detection joins the speech
# it finds before recognising it, so one segment can run across a pause (on a multitrack
# recording's track: across the other person's whole turn).
PHRASE_PAUSE_S = 1.0


def lines_of(words: tuple[Word, ...], speaker: str | None) -> list[Line]:
    """`words` as lines of `speaker`, a new line wherever a pause longer than PHRASE_PAUSE_S
    lies between two words (none for no words)."""
    lines: list[Line] = []
    start = 0
    for i in range(1, len(words) + 1):
        if i == len(words) or words[i].start - words[i - 1].end > PHRASE_PAUSE_S:
            if i > start:
                part = words[start:i]
                lines.append(Line(part[0].start, part[-1].end, part, speaker))
            start = i
    return lines


def _detected_language(whisper: WhisperModel, samples: Samples) -> tuple[str, float]:
    """The language Whisper hears in the first speech (not forced to the episode's)."""
    if not whisper.model.is_multilingual or samples.size < RATE:
        return "", 0.0
    language, probability, _ = whisper.detect_language(
        samples, vad_filter=True, language_detection_segments=1
    )
    return str(language), float(probability)


def split_by_loudness(lines: list[Line], own: Samples, other: Samples, offset: float) -> list[Line]:
    """Of a channel's lines, the words that are louder on this channel than on the other:
    what the other speaker's microphone picked up of this one is left to the other channel."""
    kept: list[Line] = []
    for line in lines:
        words = tuple(
            w for w in line.words if _louder(own, other, w.start - offset, w.end - offset)
        )
        kept += lines_of(words, line.speaker)
    return kept


def _louder(own: Samples, other: Samples, start: float, end: float) -> bool:
    a, b = max(0, int(start * RATE)), max(int(start * RATE) + 1, int(end * RATE))
    return float(np.sum(own[a:b] ** 2)) >= float(np.sum(other[a:b] ** 2))
