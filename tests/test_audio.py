"""The audio stage on synthesised recordings, checked with an independent ebur128 measurement."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from podcast.audio.probe import probe
from podcast.audio.render import Segment, render
from podcast.cache import Cache
from podcast.errors import ToolError
from podcast.model import AudioSettings

from .helpers import ebur128

# Bursts of a tone with silences between them: a crest factor like speech, so a plain gain
# would push peaks far over the ceiling and the limiter has real work to do.
SPEECHLIKE = "aevalsrc=exprs='0.5*sin(2*PI*210*t)*pow(max(0\\,sin(2*PI*1.7*t))\\,3)'"


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def test_quiet_speechlike_recording_lands_on_both_targets(
    synth: Callable[..., Path], cache: Cache
) -> None:
    quiet = synth("quiet interview.wav", SPEECHLIKE, 20, gain_db=-24)
    result = render([Segment(quiet)], AudioSettings(), cache, "test")
    mp3 = result.renditions["podcast.mp3"]
    wav = result.renditions["broadcast.wav"]
    for rendition, target in ((mp3, -16.0), (wav, -23.0)):
        integrated, peak = ebur128(rendition.path)
        assert abs(integrated - target) <= 0.2, (rendition.spec.name, integrated)
        assert peak <= -1.0, (rendition.spec.name, peak)
    assert probe(mp3.path).sample_rate == 44100
    wav_info = probe(wav.path)
    assert (wav_info.sample_rate, wav_info.channels, wav_info.codec) == (48000, 2, "pcm_s24le")
    assert abs(wav_info.duration - 20.0) < 0.01


def test_hot_mono_mp3_and_quiet_stereo_segments_are_matched_and_joined(
    synth: Callable[..., Path], cache: Cache
) -> None:
    hot = synth("hot.mp3", SPEECHLIKE, 6, rate=44100, channels=1, gain_db=6)
    quiet = synth("leise Aufnahme.flac", SPEECHLIKE, 6, gain_db=-30)
    result = render(
        [Segment(hot, start=1.0), Segment(quiet, end=5.0)], AudioSettings(), cache, "test"
    )
    assert [i["duration"] for i in result.inputs] == pytest.approx([5.0, 5.0], abs=0.05)
    assert result.inputs[1]["integrated"] < result.inputs[0]["integrated"] - 20
    integrated, peak = ebur128(result.renditions["podcast.mp3"].path)
    assert abs(integrated + 16) <= 0.2 and peak <= -1.0
    assert abs(result.renditions["broadcast.wav"].duration - 10.0) < 0.01


def test_mono_setting_targets_minus_19_at_64k(synth: Callable[..., Path], cache: Cache) -> None:
    source = synth("mono.wav", SPEECHLIKE, 8, channels=1, gain_db=-10)
    settings = AudioSettings(channels="mono", broadcast=False)
    result = render([Segment(source)], settings, cache, "test")
    assert set(result.renditions) == {"podcast.mp3"}
    path = result.renditions["podcast.mp3"].path
    facts = probe(path)
    assert facts.channels == 1 and facts.bit_rate == 64000
    assert abs(ebur128(path)[0] + 19) <= 0.2


def test_second_render_comes_from_the_cache(synth: Callable[..., Path], cache: Cache) -> None:
    source = synth("a.wav", SPEECHLIKE, 5, gain_db=-12)
    first = render([Segment(source)], AudioSettings(), cache, "test")
    again = render([Segment(source)], AudioSettings(), cache, "test")
    assert again.renditions["podcast.mp3"].path == first.renditions["podcast.mp3"].path
    assert again.renditions["podcast.mp3"].loudness == first.renditions["podcast.mp3"].loudness


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp, synth: written(tmp / "empty.wav", b""), "the file is empty"),
        (lambda tmp, synth: written(tmp / "text.wav", b"not audio"), "failed"),
        (
            lambda tmp, synth: synth("silence.wav", "anullsrc=r=48000:cl=stereo", 3),
            "the recording is silent",
        ),
    ],
    ids=["zero-bytes", "text-named-wav", "silence"],
)
def test_unusable_recordings_raise_errors_naming_the_file(
    tmp_path: Path,
    synth: Callable[..., Path],
    cache: Cache,
    make: Callable[[Path, Callable[..., Path]], Path],
    message: str,
) -> None:
    path = make(tmp_path, synth)
    with pytest.raises(ToolError) as caught:
        render([Segment(path)], AudioSettings(), cache, "test")
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_truncated_mp3_still_renders_what_is_there(
    synth: Callable[..., Path], cache: Cache, tmp_path: Path
) -> None:
    whole = synth("whole.mp3", SPEECHLIKE, 6, rate=44100, gain_db=-6)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = render([Segment(cut)], AudioSettings(broadcast=False), cache, "test")
    assert 2.0 < result.renditions["podcast.mp3"].duration < 4.5
