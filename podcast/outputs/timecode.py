"""Times as the outputs write them: one function per notation."""

from __future__ import annotations

from datetime import datetime


def clock(seconds: float, millis: bool = False, separator: str = ".") -> str:
    """HH:MM:SS; with `millis`, HH:MM:SS.mmm (rounded to the millisecond; `separator` before
    the milliseconds: "," for SRT)."""
    if not millis:
        hours, rest = divmod(int(seconds), 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    total = round(seconds * 1000)
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, thousandths = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{thousandths:03d}"


def player_clock(seconds: float) -> str:
    """H:MM:SS or M:SS, truncated like a player's display (13.5 s shows as 0:13)."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def long_date_time(moment: datetime) -> str:
    """Date, time and offset as written: 01.12.2026, 18:00 (UTC+01:00)."""
    return f"{moment.strftime('%d.%m.%Y, %H:%M')} (UTC{moment.isoformat()[-6:]})"
