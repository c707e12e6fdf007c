"""The music report: every piece of music an episode airs (intro, outro, jingles, beds in the
recordings) with where it plays, its exact duration in this episode, and what GEMA, GVL and
the like ask for (title, composer, performer, label, licence). On the programme sheet, and as
a CSV per episode beside it (`programme/<name>-music.csv`), delivered to partners that ask
for it (`music_report = true`), and one per month of radio releases
(`programme/music-<yyyy-mm>.csv`)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from podcast.audio.timeline import Timeline
from podcast.outputs import urls
from podcast.outputs.timecode import clock
from podcast.show.model import Episode, Show
from podcast.show.schema import MusicCredit

if TYPE_CHECKING:
    from podcast.outputs.context import EpisodeContext, EpisodeFiles
    from podcast.outputs.site_context import SiteContext
    from podcast.outputs.writer import OutputWriter

CSV_COLUMNS = (
    "episode",
    "use",
    "start",
    "duration",
    "duration_seconds",
    "title",
    "composer",
    "performer",
    "label",
    "licence",
)


@dataclass(frozen=True)
class PlayedMusic:
    """One piece of music as this episode airs it (times in the published audio)."""

    use: str  # intro, outro, jingle or bed
    start: float
    duration: float
    credit: MusicCredit | None

    def row(self) -> dict[str, Any]:
        credit = self.credit
        return {
            "use": self.use,
            "start": clock(self.start, millis=True),
            "duration": clock(self.duration, millis=True),
            "duration_seconds": round(self.duration, 3),
            "title": credit.title if credit else "",
            "composer": (credit.composer if credit else None) or "",
            "performer": (credit.performer if credit else None) or "",
            "label": (credit.label if credit else None) or "",
            "licence": (credit.licence if credit else None) or "",
        }


def played_music(show: Show, episode: Episode, timeline: Timeline) -> list[PlayedMusic]:
    """The music of an episode in the order it plays."""
    audio = show.config.audio
    credits = {"intro": audio.intro_music, "outro": audio.outro_music, "jingle": audio.jingle_music}
    played = [
        PlayedMusic(piece.kind, piece.published_start, piece.length, credits[piece.kind])
        for piece in timeline.pieces
        if piece.kind in credits
    ]
    for bed in episode.meta.music:
        start, end = timeline.map(bed.start), timeline.map(bed.end)
        if end > start:
            played.append(PlayedMusic("bed", start, round(end - start, 3), bed))
    return sorted(played, key=lambda p: p.start)


def music_csv(episode: Episode, played: list[PlayedMusic]) -> str:
    """The music report of one episode as CSV (UTF-8, a header line, one row per piece)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for piece in played:
        writer.writerow({"episode": episode.meta.number, **piece.row()})
    return text.getvalue()


class MusicReport:
    """`programme/<name>-music.csv`, for episodes that air music."""

    def write(self, context: EpisodeContext, writer: OutputWriter, files: EpisodeFiles) -> None:
        played = played_music(context.show, context.episode, context.audio.timeline)
        if played and context.broadcast is not None:
            writer.write(
                urls.episode_music_report(context.episode), music_csv(context.episode, played)
            )


class MonthlyMusicReports:
    """`programme/music-<yyyy-mm>.csv`: the music reports of every episode released to
    radio in a month (GEMA and GVL ask for them by month), from the programme sheets."""

    def write(self, site: SiteContext, writer: OutputWriter) -> None:
        months: dict[str, list[dict[str, Any]]] = {}
        for item in sorted(site.rendered, key=lambda r: r.episode.date):
            sheet = item.programme
            if sheet is None:
                continue
            meta = item.episode.meta
            month = (meta.radio_release or meta.date).strftime("%Y-%m")
            rows = months.setdefault(month, [])
            rows += [{"episode": meta.number, **row} for row in sheet.get("music", [])]
        for month, rows in months.items():
            if not rows:
                continue
            text = io.StringIO()
            table = csv.DictWriter(text, CSV_COLUMNS, lineterminator="\r\n")
            table.writeheader()
            table.writerows(rows)
            writer.write(urls.monthly_music_report(month), text.getvalue())
