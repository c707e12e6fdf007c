"""The broadcast version for each radio partner (`[partners.<name>]`): the file its playout
system imports, made by every build from a broadcast render and kept outside the public site.

Per partner and episode: the programme rendered without the podcast's intro and outro
(stations air their own station ID; `keep_intro` keeps them) and without the room noise before
the first and after the last word, brought to the partner's loudness (one gain from the
render's measured loudness, never above the true-peak ceiling) and encoded as it asks (WAV
16/24 bit with bext, cart and INFO; MP2; MP3), named by its patterns, with its music report if
it asks for one. The files live in the show's cache (kind "partners", keyed by all that went
into them); the build records which files each partner is due (`put_partner_record`), and
`podcast publish --to <partner>` delivers them (publish/deliver.py). They are never on the
public site: an embargoed episode's partner files reach only the partners' drop boxes.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from podcast import __version__
from podcast.audio.loudness import Loudness, measure_file
from podcast.audio.render import RenditionResult, render
from podcast.audio.renditions import BROADCAST_RATE, BROADCAST_WAV
from podcast.audio.segments import in_show, segments_of
from podcast.audio.timeline import Timeline
from podcast.audio.tools import FFMPEG, file_arg, run
from podcast.errors import PodcastError
from podcast.outputs.bext import BroadcastInfo, broadcast_info, write_broadcast_wav
from podcast.outputs.cart import episode_cart, tag_text
from podcast.outputs.id3 import AudioTags, write_audio_tags
from podcast.outputs.music import PlayedMusic, music_csv, played_music
from podcast.outputs.programme_sheet import programme_sheet
from podcast.outputs.tag_fields import iso639_2
from podcast.outputs.timecode import clock, long_date_time
from podcast.plan.cache import Cache, file_digest, key_of
from podcast.show.fields import fill_pattern
from podcast.show.schema import Partner
from podcast.show.text import slugify

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext

NOISE_WINDOW_S = 30.0  # how far into the head and tail room noise is looked for
FRAME_S = 0.05
WORD_BELOW_SPEECH_DB = 10.0  # quieter than the speech's loud frames by this: not a word
PAD_S = (0.3, 0.4)  # kept before the first word and after the last (soft onsets, decays)
CODECS = {
    "mp2": ("-c:a", "mp2"),
    "mp3": ("-c:a", "libmp3lame"),
}


@dataclass(frozen=True)
class PartnerCut:
    """The part of the broadcast render a partner airs, and how it fits the partner's slot."""

    partner: str
    source: Path  # the broadcast render it is cut from (without intro and outro, or whole)
    start: float  # seconds in `source`
    end: float
    slot: float | None
    level: tuple[float, float]  # `source`'s integrated loudness (LUFS) and true peak (dBTP)
    # Where each segment lands in `source` (what it is is in `source`'s name already).
    timeline: Timeline = field(repr=False, compare=False)

    @property
    def duration(self) -> float:
        return round(self.end - self.start, 3)

    @property
    def margin(self) -> float | None:
        """Seconds left in the slot (negative: too long)."""
        return None if self.slot is None else round(self.slot - self.duration, 3)

    @property
    def margin_whole(self) -> int:
        """The margin in whole seconds as the sheet and the slot warning both say it: rounded
        down, so neither shows time left that is not there (3.2 s too long: -4 s)."""
        return math.floor(self.margin or 0)

    def sheet(self) -> dict[str, Any]:
        """What the programme sheet says about it."""
        entry: dict[str, Any] = {
            "partner": self.partner,
            "duration": clock(round(self.duration)),
            "duration_seconds": self.duration,
        }
        if self.slot is not None and self.margin is not None:
            entry["slot"] = clock(round(self.slot))
            sign = "-" if self.margin < 0 else ""
            entry["margin"] = sign + clock(abs(self.margin_whole))
            entry["margin_seconds"] = self.margin
        return entry


def radio_render(context: EpisodeContext, cache: Cache) -> tuple[RenditionResult, Timeline] | None:
    """The broadcast rendition of the episode without the podcast's intro and outro, and its
    timeline: rendered from the same segments and analyses (jingles between recordings stay),
    so speech begins with the first word rather than under the intro's fade (cached like every
    render)."""
    show, episode = context.show, context.episode
    segments = segments_of(show, episode, cache)  # a multitrack premix is in the cache
    kept = [i for i, segment in enumerate(segments) if segment.kind not in ("intro", "outro")]
    if len(kept) == len(segments):
        broadcast = context.broadcast
        return None if broadcast is None else (broadcast, context.audio.timeline)
    result = render(
        [segments[i] for i in kept],
        show.config.audio,
        cache,
        in_show(show, episode.source) + " (for radio partners, without intro and outro)",
        analysed=[context.audio.inputs[i] for i in kept],
        only=BROADCAST_WAV.file,
    )
    rendition = result.renditions.get(BROADCAST_WAV.file)
    return None if rendition is None else (rendition, result.timeline)


def _levels(path: Path, start: float, length: float) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The level (dBFS) of each 50 ms frame of `length` seconds from `start`, mono."""
    rate = 8000
    command = [
        *FFMPEG,
        *("-ss", f"{start:.3f}", "-t", f"{length:.3f}", "-i", file_arg(path)),
        *("-ac", "1", "-ar", str(rate), "-f", "f32le", "-"),
    ]
    try:
        result = subprocess.run(command, capture_output=True, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PodcastError(f"{path}: ffmpeg could not read it for the partners ({error})") from None
    if result.returncode != 0:
        said = result.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise PodcastError(f"{path}: ffmpeg could not read it for the partners: {said}")
    samples = np.frombuffer(result.stdout, dtype="<f4").astype(np.float64)
    size = int(rate * FRAME_S)
    frames = samples[: len(samples) // size * size].reshape(-1, size)
    if not len(frames):
        return np.zeros(0)
    power = np.mean(frames**2, axis=1)
    return np.asarray(10 * np.log10(np.maximum(power, 1e-12)))


def trim_room_noise(path: Path, start: float, end: float) -> tuple[float, float]:
    """`start` moved to just before the first word, `end` to just after the last one: frames
    far below the speech's loud frames are room noise (a hiss or air at -32 dBFS that the
    silence trimming's -50 dBFS threshold keeps)."""
    window = min(NOISE_WINDOW_S, (end - start) / 2)
    if window < 1:
        return start, end
    head = _levels(path, start, window)
    tail = _levels(path, end - window, window)
    both = np.concatenate([head, tail])
    if not len(both):
        return start, end
    threshold = float(np.percentile(both, 95)) - WORD_BELOW_SPEECH_DB
    words_head = np.flatnonzero(head > threshold)
    words_tail = np.flatnonzero(tail > threshold)
    if len(words_head):
        start = max(start, start + float(words_head[0]) * FRAME_S - PAD_S[0])
    if len(words_tail):
        end = min(end, end - window + float(words_tail[-1] + 1) * FRAME_S + PAD_S[1])
    return round(start, 3), round(end, 3)


def partner_cut(
    context: EpisodeContext, name: str, partner: Partner, cache: Cache
) -> PartnerCut | None:
    """What the partner's version is cut from, and where it starts and ends (None: the show
    makes no broadcast render)."""
    whole = context.broadcast
    if whole is None:
        return None
    if partner.keep_intro:
        duration, level = round(whole.duration, 3), _level(whole)
        return PartnerCut(
            name, whole.path, 0.0, duration, partner.slot, level, context.audio.timeline
        )
    found = radio_render(context, cache)
    if found is None:
        return None
    source, timeline = found
    # Where the words begin and end depends on the render alone: found once per render.
    key = key_of("words", source.path.parent.name, source.path.name)  # as words_key
    known = cache.get_json("partners", key)
    if known is not None and isinstance(known.get("span"), list):
        start, end = (float(value) for value in known["span"])
    else:
        start, end = trim_room_noise(source.path, 0.0, round(source.duration, 3))
        cache.put_json("partners", key, {"span": [start, end]})
    return PartnerCut(name, source.path, start, end, partner.slot, _level(source), timeline)


def _level(rendition: RenditionResult) -> tuple[float, float]:
    return rendition.loudness.integrated, rendition.loudness.peak


def pattern_fields(context: EpisodeContext, name: str) -> dict[str, Any]:
    """The values of the file-name and cut-ID patterns (show/schema.py PATTERN_FIELDS)."""
    meta = context.episode.meta
    return {
        "date": (meta.radio_release or meta.date).replace(tzinfo=None),
        "show": slugify(context.show.config.title),
        "number": meta.number,
        "season": meta.season or 0,
        "episode": context.episode.slug,
        "partner": name,
    }


def slot_warning(context: EpisodeContext, cut: PartnerCut) -> str | None:
    """A warning naming how much too long the episode is for the partner's slot."""
    if cut.margin is None or cut.margin >= 0:
        return None
    return (
        f"podcast.toml: partners.{cut.partner}.slot: '{context.episode.name}' is "
        f"{clock(-cut.margin_whole)} too long for the {clock(round(cut.slot or 0))} slot "
        f"({clock(round(cut.duration))} without intro and outro; shorten it or ask for a "
        "longer slot)"
    )


SHORT_OF_LOUDNESS_LU = 0.5  # a partner's file this much under its asked loudness: a warning


def loudness_warning(
    context: EpisodeContext, name: str, partner: Partner, audio: dict[str, Any]
) -> str | None:
    """A warning when the partner's file ends more than 0.5 LU under the loudness it asks
    for (the gain stops at the true-peak ceiling: quieter rather than clipped)."""
    reached = float(audio["reached_lufs"])
    if reached >= partner.loudness_lufs - SHORT_OF_LOUDNESS_LU:
        return None
    ceiling = context.show.config.audio.true_peak
    return (
        f"podcast.toml: partners.{name}.loudness_lufs: '{context.episode.name}' reaches "
        f"{reached:.1f} LUFS of the {partner.loudness_lufs:g} asked (its peaks reach the "
        f"true-peak ceiling of {ceiling:g} dBTP first; ask the station whether that is fine, or "
        "master the recordings with less peak)"
    )


def make_partner_files(
    context: EpisodeContext, cut: PartnerCut, partner: Partner, cache: Cache
) -> list[dict[str, Any]]:
    """The partner's files of one episode, made once into the cache: its audio, and its music
    report if it asks for one; their records (file name, cache path, digest; the audio's
    loudness and duration) for the delivery."""
    broadcast = context.broadcast
    assert broadcast is not None
    fields = pattern_fields(context, cut.partner)
    name = fill_pattern(partner.file_name, fields) + partner.suffix
    cut_id = fill_pattern(partner.cut_id, fields)
    info = broadcast_info(context.show, context.episode, broadcast, context.tags)
    tags = audio_tags(context, cut_id)
    if partner.format == "wav":
        cart = episode_cart(context, cut.duration, cut_id)
        timers: tuple[tuple[str, int], ...] = (
            ("AUDs", 0),
            ("AUDe", round(cut.duration * BROADCAST_RATE)),
        )
        if partner.keep_intro:
            timers = cart.timers
        info = replace(info, cart=replace(cart, timers=timers))
    key = key_of(
        "partner",
        __version__,
        cut.source.parent.name,
        repr(cut),
        repr(partner),
        repr(info),
        *(repr(tags) if partner.format != "wav" else ()),
    )
    folder = cache.entry_dir("partners", key)
    measured = cache.get_json("partners", key)  # what was measured when it was made
    if not (folder / name).is_file() or measured is None or "reached_lufs" not in measured:
        scratch = cache.scratch_dir("partners")
        loudness, reached = _render(cut, partner, info, scratch / name, context)
        if partner.format != "wav":
            write_audio_tags(scratch / name, tags)
        folder = cache.commit_dir("partners", key, scratch)
        measured = {
            "integrated_lufs": None if loudness is None else round(loudness.integrated, 2),
            "true_peak_dbtp": None if loudness is None else round(loudness.peak, 2),
            "reached_lufs": round(reached, 1),
            "digest": file_digest(folder / name),
        }
        cache.put_json("partners", key, measured)
    path = folder / name
    audio = {
        "file": name,
        "path": str(path),
        "digest": measured["digest"],
        "cut_id": cut_id,
        "episode": context.episode.guid,
        "integrated_lufs": measured["integrated_lufs"],
        "true_peak_dbtp": measured["true_peak_dbtp"],
        "reached_lufs": measured["reached_lufs"],
        **cut.sheet(),
    }
    extras = _music_report(context, cut, cache, partner, name)
    stem = Path(name).stem
    if context.radio_only:
        # Under embargo the programme sheet is published nowhere: it comes with the audio.
        sheet = delivered_sheet(context, cut, name, audio)
        extras.append(_text_file(cache, stem + ".json", sheet))
    if partner.upload_text or context.radio_only:
        # The programme sheet as text: what a programme exchange's upload form asks for.
        text = tag_text(context.show, context.episode, context.chapters, context.strings)
        text += f"\n{context.strings['duration']}: {clock(round(cut.duration))}\n"
        extras.append(_text_file(cache, stem + ".txt", text))
    for entry in (audio, *extras):
        entry["episode"], entry["episode_name"] = context.episode.guid, context.episode.name
    return [audio, *extras]


def delivered_sheet(
    context: EpisodeContext, cut: PartnerCut, name: str, audio: dict[str, Any]
) -> str:
    """The programme sheet (JSON) of an episode under embargo as delivered to a partner
    beside its audio `name`: its version's duration, slot and music, and the Sperrfrist."""
    sheet = programme_sheet(
        context.show,
        context.episode,
        name,
        cut.duration,
        context.chapters,
        {"integrated_lufs": audio["integrated_lufs"], "true_peak_dbtp": audio["true_peak_dbtp"]},
        embargo=True,
        cues=context.cues,
        partners=[cut.sheet()],
        music=[piece.row() for piece in aired_music(context, cut)],
    )
    sheet["audio"] = name  # the file beside it: the broadcast WAV is not published yet
    return json.dumps(sheet, indent=1, ensure_ascii=False) + "\n"


def audio_tags(context: EpisodeContext, cut_id: str) -> AudioTags:
    """The ID3 values of a partner's MP2 or MP3 of the episode."""
    show, meta = context.show, context.episode.meta
    comment = f"CutID {cut_id}"
    if meta.radio_release is not None and meta.radio_release < meta.date:
        comment += f"; {context.strings['embargo']} {long_date_time(meta.date)}"
    return AudioTags(
        title=meta.title,
        artist=show.config.author,
        album=show.config.title,
        track=meta.number,
        date=(meta.radio_release or meta.date).strftime("%Y-%m-%d"),
        comment=comment,
        language=iso639_2(meta.language or show.config.language),
    )


def aired_music(context: EpisodeContext, cut: PartnerCut) -> list[PlayedMusic]:
    """The music the partner airs: on its version's timeline, within the cut."""
    played = played_music(context.show, context.episode, cut.timeline)
    aired = []
    for piece in played:
        start = max(piece.start, cut.start)
        end = min(piece.start + piece.duration, cut.end)
        if end > start:
            aired.append(
                replace(piece, start=round(start - cut.start, 3), duration=round(end - start, 3))
            )
    return aired


def _music_report(
    context: EpisodeContext, cut: PartnerCut, cache: Cache, partner: Partner, audio_name: str
) -> list[dict[str, Any]]:
    """The music report (CSV) of what the partner airs, if it asks for one (a header alone
    says no music was aired), named as its audio."""
    if not partner.music_report:
        return []
    played = aired_music(context, cut)
    return [_text_file(cache, Path(audio_name).stem + ".csv", music_csv(context.episode, played))]


def _text_file(cache: Cache, name: str, text: str) -> dict[str, Any]:
    """A small text file for a partner, kept in the cache by its content; its record."""
    key = key_of("partner-text", name, text)
    folder = cache.entry_dir("partners", key)
    if not (folder / name).is_file():
        scratch = cache.scratch_dir("partners")
        (scratch / name).write_text(text, encoding="utf-8")
        folder = cache.commit_dir("partners", key, scratch)
    path = folder / name
    return {"file": name, "path": str(path), "digest": file_digest(path)}


def _render(
    cut: PartnerCut,
    partner: Partner,
    info: BroadcastInfo,
    target: Path,
    context: EpisodeContext,
) -> tuple[Loudness | None, float]:
    """Cut, bring to the partner's loudness and encode, in one pass; the loudness measured
    in a WAV (for its bext), None for MP2 and MP3; and the loudness reached (LUFS: measured
    in a WAV, from the gain in MP2 and MP3).

    The gain comes from the render's measured loudness: what the cut leaves out is room noise
    and silence, which the loudness gate ignores. It is kept under the ceiling: quieter than
    asked rather than clipped."""
    integrated, peak = cut.level
    ceiling = context.show.config.audio.true_peak
    gain = min(partner.loudness_lufs - integrated, ceiling - peak)
    fades = f"afade=t=in:d=0.02,afade=t=out:st={max(0.0, cut.duration - 0.05):.3f}:d=0.05"
    codec: tuple[str, ...]
    if partner.format == "wav":
        codec = ("-c:a", "pcm_s24le" if partner.bits == 24 else "pcm_s16le", "-f", "wav")
        encoded = target.with_name("encoded.wav")
    else:
        codec = (*CODECS[partner.format], "-b:a", f"{partner.rate_kbps}k", "-f", partner.format)
        encoded = target
    run(
        [
            *FFMPEG,
            *("-ss", f"{cut.start:.3f}", "-t", f"{cut.duration:.3f}", "-i", file_arg(cut.source)),
            *("-af", f"volume={gain:.2f}dB,{fades}", "-ar", str(BROADCAST_RATE), "-ac", "2"),
            *codec,
            *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"),
            file_arg(encoded),
        ],
        cut.source,
        "encoding for a partner",
    )
    if partner.format != "wav":
        return None, integrated + round(gain, 2)
    result = measure_file(encoded)  # bext tells the partner's loudness, not the podcast's
    history = re.sub(r"W=\d+", f"W={partner.bits}", info.coding_history).rsplit(";", 1)[0]
    info = replace(
        info,
        loudness_value=result.integrated,
        loudness_range=result.lra,
        max_true_peak=result.peak,
        max_momentary=result.max_momentary,
        max_short_term=result.max_short_term,
        # What it reached: under the true-peak ceiling that can be less than asked.
        coding_history=f"{history}; EBU R128 {result.integrated:.1f} LUFS",
    )
    write_broadcast_wav(encoded, target, info)
    encoded.unlink()
    return result, result.integrated


def record_key(out: Path) -> str:
    """The key of the partner record of the build in `out`."""
    return key_of("partner-record", str(out.absolute()))


def words_key(cut: PartnerCut) -> str:
    """The cache key of where the words of `cut.source` begin and end."""
    return key_of("words", cut.source.parent.name, cut.source.name)


def put_partner_record(
    cache: Cache, out: Path, deliveries: dict[str, list[dict[str, Any]]], used: set[str]
) -> None:
    """Note which files each partner is due from the build just published into `out`
    (`used`: the cache entries of kind "partners" this build read), and remove the partner
    files no build records any more (call while the show's lock is held)."""
    manifest = out / "manifest.json"
    files = {Path(entry["path"]).parent.name for due in deliveries.values() for entry in due}
    cache.put_json(
        "partners",
        record_key(out),
        {
            "out": str(out.absolute()),
            "manifest": file_digest(manifest),
            "partners": deliveries,
            "keep": sorted(used | files),
        },
    )
    keep: set[str] = set()
    for path in sorted((cache.root / "partners").glob("*.json")):
        record = cache.get_json("partners", path.stem)
        if record is None or "partners" not in record:
            continue
        if not Path(str(record.get("out", ""))).is_dir():
            path.unlink(missing_ok=True)  # an output folder that is gone (a preview)
            continue
        keep.add(path.stem)
        keep.update(str(name) for name in record.get("keep", []))
    cache.prune("partners", keep)
