"""The website: Jinja2 pages from the theme, overridable file by file by the show."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from . import urls
from .feeds.rss import PODCAST_FEED
from .images import Cover
from .model import Rendered, Show

STRINGS = {
    "de": {
        "episode": "Folge",
        "episodes": "Folgen",
        "duration": "Dauer",
        "chapters": "Kapitel",
        "transcript": "Transkript",
        "subscribe": "Abonnieren",
        "feed": "RSS-Feed",
        "download": "MP3 herunterladen",
        "published": "Veröffentlicht",
        "season": "Staffel",
        "persons": "Mitwirkende",
        "places": "Orte",
        "licence": "Lizenz",
        "support": "Unterstützen",
        "previous": "Vorherige Folge",
        "next": "Nächste Folge",
        "all": "Alle Folgen",
        "copy_feed": "Feed-Adresse zum Kopieren",
        "notes": "Shownotes",
    },
    "en": {
        "episode": "Episode",
        "episodes": "Episodes",
        "duration": "Duration",
        "chapters": "Chapters",
        "transcript": "Transcript",
        "subscribe": "Subscribe",
        "feed": "RSS feed",
        "download": "Download MP3",
        "published": "Published",
        "season": "Season",
        "persons": "People",
        "places": "Places",
        "licence": "Licence",
        "support": "Support",
        "previous": "Previous episode",
        "next": "Next episode",
        "all": "All episodes",
        "copy_feed": "Feed address to copy",
        "notes": "Show notes",
    },
}


def theme_dirs(show_root: Path) -> list[Path]:
    """Template folders, first match wins: the show's own, then the packaged theme."""
    package = Path(__file__).resolve().parent
    candidates = [show_root / "templates", package / "templates", package.parent / "templates"]
    return [c for c in dict.fromkeys(candidates) if c.is_dir()]


def environment(show_root: Path) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in theme_dirs(show_root)]),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["clock"] = clock
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = long_date
    return env


def clock(seconds: float) -> str:
    """H:MM:SS or M:SS."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def long_date(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y")


def render_site(show: Show, rendered: list[Rendered], cover: Cover, out: Path) -> list[Path]:
    """Write index.html, one page per episode and the stylesheet; return the files written."""
    env = environment(show.root)
    language = show.config.language.split("-")[0].lower()
    common = {
        "show": show.config,
        "t": STRINGS.get(language, STRINGS["en"]),
        "lang": show.config.language,
        "cover_file": cover.file_name,
        "feed_url": urls.absolute(show, PODCAST_FEED),
        "urls": urls,
        "absolute": lambda rel: urls.absolute(show, rel),
    }
    newest_first = sorted(rendered, key=lambda r: r.episode.date, reverse=True)
    written = []
    index = out / "index.html"
    index.write_text(
        env.get_template("index.html").render(root="", episodes=newest_first, **common),
        encoding="utf-8",
    )
    written.append(index)
    (out / "episodes").mkdir(exist_ok=True)
    in_order = sorted(rendered, key=lambda r: r.episode.date)
    for position, item in enumerate(in_order):
        page = out / urls.episode_page(item.episode)
        html = env.get_template("episode.html").render(
            root="../",
            item=item,
            previous=in_order[position - 1] if position > 0 else None,
            next=in_order[position + 1] if position + 1 < len(in_order) else None,
            **common,
        )
        page.write_text(html, encoding="utf-8")
        written.append(page)
    style = env.get_template("style.css").render()
    (out / "style.css").write_text(style, encoding="utf-8")
    written.append(out / "style.css")
    return written
