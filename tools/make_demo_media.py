"""Regenerate the demo show's media: synthesised German interviews, a jingle and the cover.

Run from the repository root: `python tools/make_demo_media.py` (needs espeak-ng and ffmpeg).
It writes the committed files under `episodes/` and `media/` (or under `--into DIR`) and prints
each recording's sentence timings, from which the transcripts (`transcript.vtt`) were written.
The output is small on purpose: the whole demo show's audio stays well under 5 MB.

The third episode is a two-track interview (a microphone per person): each voice on its own
track, the other voice on it as bleed (-10 dB, 3 ms later; no room noise: the pauses stay
silent), the guest's recorder set 6 dB lower and started 1.234 s late. Its timings are the host
track's (the first).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pydub import AudioSegment
from pydub.generators import Sine

ROOT = Path(__file__).resolve().parent.parent
INTERVIEWER = ("Redaktion", "de+m3")
SPEAKERS = {
    "leipzig": ("Migrantenbeirat Leipzig", "de+f3"),
    "frankfurt": ("KAV Frankfurt", "de+m1"),
    "gremien": ("Jugendbeirat", "de+f2"),
}

SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "leipzig": [
        ("R", "Willkommen in Leipzig. Wir sind heute beim Migrantenbeirat der Stadt."),
        (
            "G",
            "Der Beirat berät den Stadtrat in allen Fragen, die Menschen mit "
            "Migrationsgeschichte betreffen.",
        ),
        ("R", "Wie kommt Ihre Stimme in die anderen Beiräte der Stadt?"),
        (
            "G",
            "Wir schicken Delegierte in den Seniorenbeirat und in den Jugendbeirat. "
            "So hören die anderen Gremien unsere Themen direkt.",
        ),
        ("R", "Was hat sich dadurch verändert?"),
        (
            "G",
            "Anträge werden früher abgestimmt, und wir erfahren rechtzeitig, "
            "was auf der Tagesordnung steht.",
        ),
    ],
    "frankfurt": [
        ("R", "Wir sind in Frankfurt am Main, bei der Kommunalen Ausländervertretung."),
        (
            "G",
            "Frankfurt hat eine der ältesten gewählten Vertretungen von Migrantinnen "
            "und Migranten in Deutschland.",
        ),
        ("R", "Welche Rechte hat die Vertretung?"),
        (
            "G",
            "Wir können Anträge an die Stadtverordnetenversammlung stellen und "
            "werden zu wichtigen Vorlagen angehört.",
        ),
        ("R", "Und die Zusammenarbeit mit den Ortsbeiräten?"),
        ("G", "Die ist noch ausbaufähig. Wir laden die Ortsbeiräte zu unseren Sitzungen ein."),
    ],
    "gremien": [
        ("R", "Heute begleiten wir den Migrantenbeirat zu einer Sitzung des Jugendbeirats."),
        ("G", "Für uns ist das neu. Wir wussten wenig über die Arbeit des Migrantenbeirats."),
        ("R", "Was nehmen Sie aus dem Treffen mit?"),
        ("G", "Wir wollen gemeinsame Sprechstunden in den Stadtteilen anbieten."),
        ("R", "Vielen Dank. Das war Quer durch die Gremien, produziert mit Radio Blau in Leipzig."),
    ],
}


def speak(text: str, voice: str, out: Path) -> AudioSegment:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "155", "-w", str(out), "--", text], check=True)
    return AudioSegment.from_wav(out)


def interview(key: str, workdir: Path) -> tuple[AudioSegment, list[tuple[float, float, str, str]]]:
    """Speak a script sentence by sentence; return audio and (start, end, speaker, text) cues."""
    guest_name, guest_voice = SPEAKERS[key]
    audio = AudioSegment.silent(duration=600, frame_rate=22050)
    cues = []
    for index, (who, text) in enumerate(SCRIPTS[key]):
        name, voice = INTERVIEWER if who == "R" else (guest_name, guest_voice)
        clip = speak(text, voice, workdir / f"{key}-{index}.wav")
        start = len(audio) / 1000
        audio += clip
        cues.append((start, len(audio) / 1000, name, text))
        audio += AudioSegment.silent(duration=450, frame_rate=22050)
    return audio, cues


BLEED_DB = -10.0
BLEED_DELAY_MS = 3
GUEST_RECORDER_DB = -6.0
GUEST_LATE_MS = 1234


def microphones(
    key: str, workdir: Path
) -> tuple[AudioSegment, AudioSegment, list[tuple[float, float, str, str]]]:
    """The host's and the guest's microphone of a two-track interview (same timing as
    `interview`): each voice on its own track, the other as bleed, the guest's track started
    late on a recorder set lower."""
    audio, cues = interview(key, workdir)
    silent = AudioSegment.silent(duration=len(audio), frame_rate=22050)
    voices = {"R": silent, "G": silent}
    for index, ((who, _), (start, _, _, _)) in enumerate(zip(SCRIPTS[key], cues, strict=True)):
        clip = AudioSegment.from_wav(workdir / f"{key}-{index}.wav")
        voices[who] = voices[who].overlay(clip, position=round(start * 1000))

    def microphone(own: str, other: str) -> AudioSegment:
        bleed = AudioSegment.silent(duration=BLEED_DELAY_MS, frame_rate=22050) + voices[other]
        return voices[own].overlay(bleed[: len(audio)] + BLEED_DB)

    host = microphone("R", "G")
    guest = microphone("G", "R")[GUEST_LATE_MS:] + GUEST_RECORDER_DB
    return host, guest, cues


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def jingle(out: Path) -> None:
    """A four-note jingle, synthesised with pydub."""
    notes = [523.25, 659.25, 783.99, 1046.5]
    tune = AudioSegment.silent(duration=0, frame_rate=48000)
    for frequency in notes:
        tone = Sine(frequency, sample_rate=48000).to_audio_segment(duration=380, volume=-14)
        tune += tone.fade_in(15).fade_out(120)
    tune = tune.overlay(
        Sine(261.63, sample_rate=48000)
        .to_audio_segment(duration=len(tune), volume=-22)
        .fade_out(400)
    )
    tune = tune.fade_out(500).set_channels(2)
    wav = out.with_suffix(".wav")
    tune.export(wav, format="wav")
    ffmpeg("-i", str(wav), "-c:a", "flac", "-sample_fmt", "s16", str(out))
    wav.unlink()


def cover(out: Path) -> None:
    """A 3000x3000 RGB JPEG cover with the show's title."""
    size = 3000
    image = Image.new("RGB", (size, size), (24, 62, 92))
    draw = ImageDraw.Draw(image)
    for index, colour in enumerate([(238, 170, 60), (210, 80, 70), (90, 160, 120)]):
        top = 1900 + index * 260
        draw.rectangle((0, top, size, top + 200), fill=colour)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 250)
        small = ImageFont.truetype("DejaVuSans.ttf", 120)
    except OSError:
        font = small = ImageFont.load_default()
    draw.text((200, 500), "Quer durch", font=font, fill=(255, 255, 255))
    draw.text((200, 800), "die Gremien", font=font, fill=(255, 255, 255))
    draw.text(
        (200, 1300), "Migrantenbeiräte in Leipzig und Frankfurt", font=small, fill=(230, 230, 230)
    )
    image.save(out, "JPEG", quality=80, optimize=True)


def main(root: Path = ROOT) -> None:
    media = root / "media"
    media.mkdir(exist_ok=True)
    jingle(media / "jingle.flac")
    cover(media / "cover.jpg")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for key, slug, encode in [
            # quiet 48 kHz stereo FLAC (about -33 LUFS)
            (
                "leipzig",
                "01-leipzig-migrantenbeirat",
                lambda src, dst: ffmpeg(
                    "-i",
                    src,
                    "-af",
                    "volume=-16dB",
                    "-ar",
                    "48000",
                    "-ac",
                    "2",
                    "-c:a",
                    "flac",
                    "-sample_fmt",
                    "s16",
                    dst + "/interview-leipzig.flac",
                ),
            ),
            # hot 44.1 kHz mono MP3 (peaks at full scale)
            (
                "frankfurt",
                "02-frankfurt-kav",
                lambda src, dst: ffmpeg(
                    "-i",
                    src,
                    "-af",
                    "volume=9dB",
                    "-ar",
                    "44100",
                    "-ac",
                    "1",
                    "-c:a",
                    "libmp3lame",
                    "-b:a",
                    "64k",
                    dst + "/gespräch frankfurt.mp3",
                ),
            ),
        ]:
            audio, cues = interview(key, workdir)
            source = workdir / f"{key}.wav"
            audio.export(source, format="wav")
            target = root / "episodes" / slug
            target.mkdir(parents=True, exist_ok=True)
            encode(str(source), str(target))
            print(f"{slug}: {len(audio) / 1000:.2f} s")
            for start, end, name, text in cues:
                print(f"  {start:7.2f} {end:7.2f} <v {name}>{text}")
        # Two microphones, AAC in M4A, 44.1 kHz mono each (the first is the time reference).
        host, guest, cues = microphones("gremien", workdir)
        target = root / "episodes" / "03-zu-gast-im-jugendbeirat"
        target.mkdir(parents=True, exist_ok=True)
        for name, track in (("redaktion", host), ("jugendbeirat", guest)):
            wav = workdir / f"gremien-{name}.wav"
            track.export(wav, format="wav")
            ffmpeg(
                *("-i", str(wav), "-ar", "44100", "-ac", "1", "-c:a", "aac", "-b:a", "48k"),
                str(target / f"sitzung-{name}.m4a"),
            )
        print(f"03-zu-gast-im-jugendbeirat: {len(host) / 1000:.2f} s (two tracks)")
        for start, end, name, text in cues:
            print(f"  {start:7.2f} {end:7.2f} <v {name}>{text}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=ROOT, help="show folder to write into")
    main(parser.parse_args().into)
