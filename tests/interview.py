"""A realistic field interview, synthesised, with its clean stems and turn times kept: two
German espeak-ng voices taking turns (a close host, a guest across the table 12 to 15 LU
quieter), room noise, mains hum and a few plosives. Shared by the sound tests and
benchmarks/sound.py; the measurements here read decoded files with numpy and ffmpeg's ebur128,
never with podcast's own code."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

RATE = 48000
RAW_STEREO = [
    "ffmpeg",
    "-nostdin",
    "-hide_banner",
    "-nostats",
    "-y",
    "-f",
    "f32le",
    "-ar",
    str(RATE),
    "-ac",
    "2",
]

HOST_LINES = [
    "Willkommen in Leipzig. Wir sind heute beim Migrantenbeirat der Stadt.",
    "Wie kommt Ihre Stimme in die anderen Beiräte der Stadt?",
    "Was hat sich dadurch für die Menschen verändert?",
    "Und wie wählt man eigentlich den Beirat?",
    "Welche Themen stehen im nächsten Jahr auf der Tagesordnung?",
    "Vielen Dank für das Gespräch.",
]
GUEST_LINES = [
    "Der Beirat berät den Stadtrat in allen Fragen, die Menschen mit Migrationsgeschichte "
    "betreffen.",
    "Wir schicken Delegierte in den Seniorenbeirat und in den Jugendbeirat.",
    "Anträge werden früher abgestimmt, und wir erfahren rechtzeitig, was geplant ist.",
    "Alle fünf Jahre wählen die Menschen ohne deutschen Pass ihre Vertretung.",
    "Wohnen, Schule und die Anerkennung von Berufsabschlüssen.",
    "Sehr gern, bis zum nächsten Mal.",
]


@dataclass(frozen=True)
class Interview:
    """The mixed recording, the clean speech it was made from, and who speaks when."""

    path: Path
    clean: npt.NDArray[np.float64]  # mono, RATE, without noise, hum or level difference
    turns: list[tuple[str, float, float]]  # (host or guest, start, end) in seconds
    duration: float

    def spans(self, speaker: str) -> list[tuple[float, float]]:
        return [(start, end) for who, start, end in self.turns if who == speaker]

    def pauses(self, margin: float = 0.15) -> list[tuple[float, float]]:
        """The gaps between turns, without `margin` seconds at either side."""
        edges = [0.0] + [t for _, start, end in self.turns for t in (start, end)] + [self.duration]
        gaps = list(zip(edges[::2], edges[1::2], strict=True))
        return [(a + margin, b - margin) for a, b in gaps if b - a > 2 * margin + 0.1]


def _speak(
    text: str, voice: str, folder: Path, name: str, speed: int = 150
) -> npt.NDArray[np.float64]:
    """`text` spoken by espeak-ng's `voice` at `speed` words a minute (mono at RATE)."""
    wav = folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(wav), "-ar", str(RATE), "-ac", "1", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    wav.unlink()
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


def _coloured_noise(size: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """Room tone: pink noise with some brown (rumble) under it."""
    white = rng.standard_normal(size)
    spectrum = np.fft.rfft(white)
    frequencies = np.fft.rfftfreq(size, 1 / RATE)
    frequencies[0] = frequencies[1]
    pink = np.fft.irfft(spectrum / np.sqrt(frequencies), size)
    brown = np.fft.irfft(spectrum / frequencies, size)
    mix = pink / pink.std() + 0.5 * brown / brown.std()
    return np.asarray(mix / mix.std())


def rms_db(samples: npt.NDArray[np.float64]) -> float:
    return float(10 * np.log10(np.mean(samples**2) + 1e-20))


def make_interview(
    folder: Path,
    rounds: int = 3,
    guest_quieter_lu: float = 13.5,
    noise_below_guest_db: float | None = 15.0,
    hum_dbfs: float | None = -45.0,
    plosives: bool = True,
    seed: int = 1,
    name: str = "interview.wav",
) -> Interview:
    """Write `folder`/`name` (48 kHz, stereo, 24 bit) and return what it is made of; `rounds`
    host-and-guest exchanges, repeated from the lines above as needed."""
    rng = np.random.default_rng(seed)
    host_level, guest_level = 1.0, 10 ** (-guest_quieter_lu / 20)
    pieces, turns, clean_pieces, cursor = [], [], [], 0.0
    lead = np.zeros(int(0.8 * RATE))
    pieces.append(lead)
    clean_pieces.append(lead)
    cursor = lead.size / RATE
    voices = {"host": ("de", HOST_LINES), "guest": ("de+f3", GUEST_LINES)}
    for number in range(rounds):
        for speaker in ("host", "guest"):
            voice, lines = voices[speaker]
            speech = _speak(lines[number % len(lines)], voice, folder, f"{speaker}{number}")
            speech = speech / (np.sqrt(np.mean(speech**2)) + 1e-12) * 0.1  # equal voices
            level = host_level if speaker == "host" else guest_level
            turns.append((speaker, cursor, cursor + speech.size / RATE))
            pieces.append(speech * level)
            clean_pieces.append(speech)
            gap = np.zeros(int(rng.uniform(0.7, 1.1) * RATE))
            pieces.append(gap)
            clean_pieces.append(gap)
            cursor += (speech.size + gap.size) / RATE
    voice_track = np.concatenate(pieces)
    clean = np.concatenate(clean_pieces)
    size = voice_track.size
    # The host at about -20 LUFS: scale the voices so the host's turns measure so.
    host_only = np.concatenate(
        [voice_track[int(a * RATE) : int(b * RATE)] for _, a, b in turns if _ == "host"]
    )
    voice_track *= 10 ** ((-20 - _lufs(host_only)) / 20)
    mix = voice_track.copy()
    if plosives:
        for _, start, _end in turns[::2]:
            at = int(start * RATE)
            length = int(0.04 * RATE)
            t = np.arange(length) / RATE
            thump = 0.25 * np.sin(2 * np.pi * 45 * t) * np.exp(-t / 0.012)
            mix[at : at + length] += thump
    if noise_below_guest_db is not None:
        guest_only = np.concatenate(
            [voice_track[int(a * RATE) : int(b * RATE)] for w, a, b in turns if w == "guest"]
        )
        noise = _coloured_noise(size, rng)
        noise *= 10 ** ((_lufs(guest_only) - noise_below_guest_db - _lufs(noise)) / 20)
        mix += noise
    if hum_dbfs is not None:
        t = np.arange(size) / RATE
        amplitude = 10 ** (hum_dbfs / 20)
        for harmonic, relative_db in ((1, 0.0), (2, -6.0), (3, -10.0)):
            mix += amplitude * 10 ** (relative_db / 20) * np.sin(2 * np.pi * 50 * harmonic * t)
    path = folder / name
    stereo = np.repeat(mix.astype("<f4")[:, None], 2, axis=1)
    subprocess.run(
        [*RAW_STEREO, "-i", "-", "-v", "error", "-c:a", "pcm_s24le", str(path)],
        input=stereo.tobytes(),
        check=True,
    )
    return Interview(path, clean, turns, size / RATE)


def _lufs(samples: npt.NDArray[np.float64]) -> float:
    """Integrated loudness of mono samples (as dual mono), by ffmpeg's ebur128."""
    stereo = np.repeat(samples.astype("<f4")[:, None], 2, axis=1)
    result = subprocess.run(
        [*RAW_STEREO, "-i", "-", "-af", "ebur128", "-f", "null", "-"],
        input=stereo.tobytes(),
        capture_output=True,
        check=True,
    )
    log = result.stderr.decode(errors="replace")
    found = re.search(r"I:\s+(-?[\d.]+) LUFS", log[log.rindex("Summary:") :])
    assert found is not None
    return float(found[1])


def decode(path: Path) -> npt.NDArray[np.float64]:
    """A file decoded by ffmpeg to mono samples at RATE."""
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(path),
            "-ar",
            str(RATE),
            "-ac",
            "1",
            "-f",
            "f32le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


def cut(
    samples: npt.NDArray[np.float64], spans: list[tuple[float, float]]
) -> npt.NDArray[np.float64]:
    return np.concatenate([samples[int(a * RATE) : int(b * RATE)] for a, b in spans])


def speaker_loudness(samples: npt.NDArray[np.float64], interview: Interview, speaker: str) -> float:
    """The integrated loudness (ffmpeg's ebur128) of one speaker's turns."""
    return _lufs(cut(samples, interview.spans(speaker)))


def hum_levels(samples: npt.NDArray[np.float64], interview: Interview) -> dict[int, float]:
    """The level (dB) of the 50, 100 and 150 Hz lines in the pauses, from one long spectrum."""
    pauses = cut(samples, interview.pauses())
    window = np.hanning(pauses.size)
    power = np.abs(np.fft.rfft(pauses * window)) ** 2
    frequencies = np.fft.rfftfreq(pauses.size, 1 / RATE)
    levels = {}
    for line in (50, 100, 150):
        near = (frequencies > line - 1) & (frequencies < line + 1)
        levels[line] = float(10 * np.log10(power[near].max() * 4 / window.sum() ** 2 + 1e-30))
    return levels
