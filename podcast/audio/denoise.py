"""Spectral noise reduction under speech the leveler raised (ffmpeg's afftdn): the filters
that follow a recording's denoise schedule, shared by the analysis (which measures what the
reduction leaves of each phrase) and the render."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.sound import NOISE_SAMPLE_STEPS, PAUSE_STEP
from podcast.audio.speech import STEP_S
from podcast.audio.tools import FFMPEG, run
from podcast.errors import ToolError

# afftdn treats what lies below its noise floor setting as noise to reduce (with the profile it
# learned): set at the room's level it hardly reduces the room, set far above it (toward its
# highest, -20 dBFS) it eats a quiet voice too. This far above the measured noise reduces
# stationary noise by the full amount and leaves speech (measured on pink, white and babble
# noise 6-12 dB under speech: under 3 dB of the voice lost). At 6 dB it took the soft start of
# words just above the room: over the field corpus, 3 dB lowered the worst onset loss from
# 10.3 to 7.7 dB (median 0.47 -> 0.32) and the worst pause drop from -1.1 to -0.2 dB, and
# left the worst bed swing at 3.79 dB (median 2.18 -> 2.30).
NOISE_FLOOR_MARGIN_DB = 3.0
# A room is brought at least this far under afftdn's highest floor setting (-20 dBFS).
ROOM_HEADROOM_DB = 30.0
# asendcmd carries a command out on the first audio frame that starts at or after its time,
# and a decoder's frames last up to 170 ms (4096 samples of a 22.05 kHz FLAC, resampled): the
# reduction took hold that much after the leveler's gain rose, and the room came up with it at
# every raised turn (9-17 dB for 40-80 ms on the sound benchmark's field-12, measured on its
# broadcast WAV). The audio therefore reaches asendcmd in frames of this length, and each
# command is moved to the nearest frame start (at most 25 ms off). 5 ms frames cost an hour's
# build 20 s more: asendcmd looks through all its commands at every frame.
COMMAND_FRAME_S = 0.05


def denoise_filters(
    steps: Sequence[float], noise_dbfs: float, index: int, start: float, length: float
) -> list[str]:
    """ffmpeg filters for the spectral noise reduction of the part of a recording from
    `start` (s) for `length` s, following the schedule `steps` (sound.ShapedSound.denoise)
    for the recording's noise at `noise_dbfs`:
    afftdn learns the noise in the first long pause of the part and changes its strength
    at each change of the schedule (asendcmd)."""
    if len(steps) == 0:
        return []
    name = f"afftdn@denoise{index}"
    first = max(0, int(start / STEP_S))
    last = min(len(steps), math.ceil((start + length) / STEP_S))
    commands = []
    pause = 0
    learned = False
    strength: float | None = None
    for step in range(first, last):
        at = round(max(0.0, step * STEP_S - start) / COMMAND_FRAME_S) * COMMAND_FRAME_S
        if steps[step] == PAUSE_STEP:
            pause += 1
            if pause == NOISE_SAMPLE_STEPS and not learned:
                # Learn from the middle of the pause: its edges may hold breath or a word's end.
                begin = max(0.0, at - (NOISE_SAMPLE_STEPS - 2) * STEP_S)
                commands.append(f"{begin:.2f} {name} sn start;{at:.2f} {name} sn stop")
                learned = True
            wanted = 0.0
        else:
            pause = 0
            wanted = steps[step]
        if wanted != strength:
            commands.append(f"{at:.2f} {name} nr {max(wanted, 0.01):g}")
            strength = wanted
    return _in_time(
        [
            f"asetnsamples=n={round(COMMAND_FRAME_S * BROADCAST_RATE)}:p=0",
            f"asendcmd=c='{';'.join(commands)}'",
            f"{name}=nr=0.01:nf={min(-20, max(-80, round(noise_dbfs + NOISE_FLOOR_MARGIN_DB)))}",
        ]
    )


def _in_time(filters: list[str]) -> list[str]:
    """`filters` (afftdn among them) with afftdn's delay undone: it delays its output by its
    analysis window; the padding and the cut undo that, so an envelope multiplied afterwards
    still meets the sound it was made for."""
    delay = denoiser_delay()
    return [
        f"apad=pad_len={delay}",
        *filters,
        f"atrim=start_sample={delay}",
        "asetpts=PTS-STARTPTS",
    ]


def room_filters(
    strength: float, noise_dbfs: float, learn: tuple[float, float] | None
) -> list[str]:
    """ffmpeg filters that take a whole track's room noise (at `noise_dbfs`) down by
    `strength` dB, afftdn learning the noise's spectrum over `learn` (start and end, s: a
    pause) where given."""
    name = "afftdn@room"
    learning = []
    if learn is not None:
        learning = [f"asendcmd=c='{learn[0]:.2f} {name} sn start;{learn[1]:.2f} {name} sn stop'"]
    # afftdn's floor setting ends at -20 dBFS: a room louder than that (a phone line's hiss,
    # raised with its voice) is brought under it first and back after.
    shift = max(0.0, noise_dbfs + NOISE_FLOOR_MARGIN_DB + ROOM_HEADROOM_DB)
    floor = min(-20, max(-80, round(noise_dbfs + NOISE_FLOOR_MARGIN_DB - shift)))
    reduced = _in_time([*learning, f"{name}=nr={max(strength, 0.01):g}:nf={floor}"])
    if not shift:
        return reduced
    return [f"volume={-shift:.2f}dB", *reduced, f"volume={shift:.2f}dB"]


@functools.cache
def denoiser_delay() -> int:
    """How many samples (at BROADCAST_RATE) ffmpeg's afftdn delays its output by (25 ms in
    ffmpeg 5.1; measured once on an impulse, as it may differ between versions)."""
    mark = BROADCAST_RATE // 10
    impulse = f"aevalsrc=exprs='if(eq(n\\,{mark})\\,1\\,0)':s={BROADCAST_RATE}:d=0.5"
    done = run(
        [
            *FFMPEG[:-3],
            "-v",
            "info",
            "-f",
            "lavfi",
            "-i",
            impulse,
            "-af",
            "afftdn=nr=0.01,silencedetect=n=-30dB:d=0.001",
            "-f",
            "null",
            "-",
        ],
        "ffmpeg",
        "a check of its noise reduction's delay",
    )
    found = re.search(r"silence_end: ([0-9.]+)", done.stderr or "")
    if done.returncode != 0 or found is None:
        raise ToolError(f"ffmpeg: its afftdn filter did not pass an impulse: {done.stderr}")
    return max(0, round(float(found.group(1)) * BROADCAST_RATE) - mark)
