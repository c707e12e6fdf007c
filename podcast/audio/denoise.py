"""ffmpeg's spectral noise reduction (afftdn) over a whole multitrack voice track: its room
taken down to the quietest microphone's (multitrack._even_rooms). The reduction under raised
speech in a single recording is our own (spectral.py): afftdn has no look-ahead."""

from __future__ import annotations

import functools
import re

from podcast.audio.renditions import BROADCAST_RATE
from podcast.audio.tools import FFMPEG, run
from podcast.errors import ToolError

# afftdn treats what lies below its noise floor setting as noise to reduce (with the profile it
# learned): set at the room's level it hardly reduces the room, set far above it (toward its
# highest, -20 dBFS) it eats a quiet voice too; 3 dB over the room reduces the room by the full
# amount and leaves speech.
NOISE_FLOOR_MARGIN_DB = 3.0
# A room is brought at least this far under afftdn's highest floor setting (-20 dBFS).
ROOM_HEADROOM_DB = 30.0


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
