"""Import a show from its feed: podcast.toml, one episode folder per item, the media.

Imported episodes keep their published identity: the original GUID in the front matter, the
audio published as it is (`media`), or left where it is with `keep_media_urls` (the new feed
names the same enclosure URL, so apps download nothing again). Run again, it imports only the
items it does not have yet (matched by GUID) and reports, never overwrites, what changed in
those it has. Everything written is then loaded by the show loader, so what the build would
refuse is reported now. Over 400 lines: the mapping from a feed's tags to the schema's fields
reads best in one place, next to the report of what was changed on the way.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3
import yaml
from markdownify import MarkdownConverter

from podcast.audio.probe import probe
from podcast.errors import PodcastError
from podcast.importer.feed import (
    FeedChannel,
    FeedItem,
    LocationEntry,
    PersonEntry,
    Skipped,
    parse_feed,
    plain,
)
from podcast.importer.fetch import (
    ProgressCallback,
    content_length,
    download,
    fetch_bytes,
    read_source,
)
from podcast.importer.writer import episode_text, toml_text, write_text
from podcast.outputs.feeds.podcasting20 import podcast_guid
from podcast.outputs.notes import truncate_bytes
from podcast.show.fields import CONTROL_CHARACTERS, EMAIL, GEO_URI
from podcast.show.front_matter import split_front_matter
from podcast.show.images import load_cover
from podcast.show.loader import EPISODE_FILE, SHOW_FILE, load_show, same_language
from podcast.show.schema import BCP47
from podcast.show.text import slugify
from podcast.show.vocabularies import APPLE_CATEGORIES, PERSON_TAXONOMY
from podcast.show.warnings import as_is_notes

PARTIAL_FOLDER = Path(".cache") / "podcast-import"  # downloads not yet complete
SUFFIXES = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/x-m4a": ".m4a",
    "audio/mp4": ".m4a",
    "audio/aac": ".m4a",
    "audio/m4a": ".m4a",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/x-wav": ".wav",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
}
MIN_PLAUSIBLE_BYTES = 1024  # an enclosure length below this is a placeholder, not a size
KEPT_TYPES = {"audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/ogg", "audio/opus"}
TRANSCRIPT_SUFFIXES = {
    "text/vtt": ".vtt",
    "application/x-subrip": ".srt",
    "application/srt": ".srt",
    "text/srt": ".srt",
}


@dataclass(frozen=True)
class ImportOptions:
    """How to import (the command line's options)."""

    base_url: str | None = None  # where the new show is served (default: the feed's link)
    keep_media_urls: bool = False  # leave the audio where it is
    remaster: bool = False  # master the audio again instead of publishing it as it is
    owner_email: str | None = None  # the owner's confirmation for a podcast:locked feed
    timeout: float = 30.0
    progress: ProgressCallback | None = None


@dataclass
class ImportReport:
    """What an import did, for the person who ran it."""

    folder: Path
    created: bool = False  # podcast.toml was written by this run
    imported: list[str] = field(default_factory=list)  # episode folders
    unchanged: int = 0  # items already imported, the same as before
    changed: list[str] = field(default_factory=list)  # differences in imported items
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was adjusted on the way
    downloaded: list[tuple[str, int, str]] = field(default_factory=list)  # file, bytes, sha256


class ImportLoadError(PodcastError):
    """What was written does not load; the report says what the import did meanwhile."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


def _clean(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


class _NotesConverter(MarkdownConverter):
    """markdownify, with a picture kept as a link to it (the site shows no pictures from
    elsewhere in notes)."""

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        src = el.attrs.get("src") or ""
        if not src:
            return ""
        alt = re.sub(r"[\[\]]", "", el.attrs.get("alt") or "") or "picture"
        return f"[{alt}]({src})"


def notes_markdown(notes_html: str, base: str | None = None, notes: list[str] | None = None) -> str:
    """Show notes as Markdown: the HTML sanitised (nh3, as the build sanitises what it
    renders), relative links and picture sources read against `base` (the item's or the
    feed's web address; without one they are left out), then converted by markdownify."""
    if not notes_html.strip():
        return ""
    if "<" not in notes_html:  # plain text: keep its paragraphs
        return _clean(notes_html).strip()

    def absolute(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) not in (("a", "href"), ("img", "src")):
            return value
        if value.startswith("#") or urlsplit(value).scheme:
            return value  # an anchor, or a scheme nh3 checks (mailto:, https:)
        joined = urljoin(base, value) if base else ""
        if urlsplit(joined).scheme in ("http", "https"):
            return joined
        if notes is not None:
            what = "the picture" if tag == "img" else "the link"
            notes.append(f"notes: {what} {value!r} has no web address to be read against; left out")
        return None

    safe = nh3.clean(notes_html, clean_content_tags={"script", "style"}, attribute_filter=absolute)
    text = _NotesConverter(heading_style="ATX", bullets="-").convert(safe)
    text = re.sub(r"[ \t]+\n", "\n", _clean(text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def import_feed(source: str, folder: Path, options: ImportOptions) -> ImportReport:
    """Import the feed at `source` (a URL or a file) into the show folder `folder` (made if
    needed; a show already there gets the new items only). PodcastError when the feed cannot
    be read or imported, or when what was written does not load."""
    data, base = read_source(source, options.timeout)
    channel = parse_feed(data, base)
    _confirm_ownership(channel, source, options.owner_email)
    report = ImportReport(folder=folder, skipped=list(channel.skipped), notes=list(channel.notes))
    folder.mkdir(parents=True, exist_ok=True)
    known = _imported_episodes(folder)
    if channel.new_feed_url:
        report.notes.append(
            f"the feed says the show moved to {channel.new_feed_url} (itunes:new-feed-url): "
            "import from there to get its newest items"
        )
    if not (folder / SHOW_FILE).exists():
        _write_show(channel, source, base, folder, options, report)
        report.created = True
    else:
        report.changed += _show_differences(channel, folder / SHOW_FILE)
    # Unnumbered items continue after the highest number in the show, consecutively: a number
    # is taken only by an item imported (one skipped gives it back), and numbers the feed
    # gives its new items are passed over.
    numbers = {n for _, front in known.values() if isinstance(n := front.get("number"), int)}
    given = {i.number for i in channel.items if i.number is not None and i.guid not in known}
    slugs = {path.parent.name for path in folder.glob(f"episodes/*/{EPISODE_FILE}")}
    for item in channel.items:
        if item.guid in known:
            slug, front = known[item.guid]
            differences = _differences(item, front)
            if differences:
                report.changed += [f"{slug}: {d}" for d in differences]
            else:
                report.unchanged += 1
            continue
        if item.number is None:
            item.number = max(numbers, default=0) + 1
            while item.number in given:
                item.number += 1
            item.notes.append(f"no episode number in the feed: numbered {item.number}")
        slug = _free_slug(f"{item.number:03d}-{slugify(item.title)}", slugs)
        try:
            _import_item(item, channel, folder, slug, options, report)
        except PodcastError as error:
            shutil.rmtree(folder / "episodes" / slug, ignore_errors=True)
            report.skipped.append(Skipped(item.title, str(error)))
            continue
        slugs.add(slug)
        numbers.add(item.number)
        report.imported.append(slug)
        report.notes += [f"{slug}: {note}" for note in item.notes]
    try:
        show = load_show(folder)
    except PodcastError as error:
        raise ImportLoadError(
            "the imported show does not load yet; fix these in the files written, then run "
            f"`podcast check`:\n{error}",
            report,
        ) from None
    report.notes += as_is_notes(show)
    return report


def _confirm_ownership(channel: FeedChannel, source: str, email: str | None) -> None:
    """A podcast:locked feed is imported only by its owner (the e-mail in the feed)."""
    if not channel.locked:
        return
    owners = {e.lower() for e in (channel.locked_owner, channel.owner_email) if e}
    if email is not None and email.lower() in owners:
        return
    given = "the e-mail given does not match" if email else "no owner e-mail was given"
    raise PodcastError(
        f"{source}: the feed is podcast:locked (its owner does not allow imports elsewhere) "
        f"and {given}; if you own the show, confirm it with --owner-email and the owner "
        "address the feed names (podcast:locked owner, or itunes:owner)"
    )


def _imported_episodes(folder: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """The episodes already in the show, by GUID: folder name and front matter."""
    known: dict[str, tuple[str, dict[str, Any]]] = {}
    for source in sorted(folder.glob(f"episodes/*/{EPISODE_FILE}")):
        parts = split_front_matter(source.read_text(encoding="utf-8", errors="replace"))
        try:
            front = yaml.safe_load(parts[0]) if parts else None
        except yaml.YAMLError:
            front = None
        if isinstance(front, dict) and front.get("guid"):
            known[str(front["guid"])] = (source.parent.name, front)
    return known


def _differences(item: FeedItem, front: dict[str, Any]) -> list[str]:
    """What the feed now says differently about an episode imported before."""
    found = []
    if str(front.get("title", "")) != item.title:
        found.append(f"title is now {item.title!r} (was {front.get('title')!r})")
    if str(front.get("date", "")) != item.date.isoformat():
        found.append(f"date is now {item.date.isoformat()} (was {front.get('date')})")
    media = front.get("media")
    kept = media.get("url") if isinstance(media, dict) else None
    if kept is not None and kept != item.enclosure.url:
        found.append(f"the audio is now at {item.enclosure.url} (was {kept})")
    if str(front.get("summary", "")) != _summary(item):
        found.append("the summary changed")
    return found


def _show_differences(channel: FeedChannel, config_file: Path) -> list[str]:
    """What the feed now says differently about the show than the podcast.toml written."""
    try:
        config = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return []  # the loader names what is wrong with it
    found = []
    if config.get("title") != _clean(channel.title):
        found.append(f"{SHOW_FILE}: title is now {channel.title!r} (was {config.get('title')!r})")
    guid = config.get("podcast_guid")
    if channel.podcast_guid and guid and channel.podcast_guid.lower() != guid:
        found.append(f"{SHOW_FILE}: podcast:guid is now {channel.podcast_guid} (was {guid})")
    return found


def _free_slug(slug: str, taken: set[str]) -> str:
    candidate, count = slug, 2
    while candidate in taken:
        candidate, count = f"{slug}-{count}", count + 1
    return candidate


def _summary(item: FeedItem) -> str:
    return truncate_bytes(_clean(item.summary or item.title))


def _write_show(
    channel: FeedChannel,
    source: str,
    base: str,
    folder: Path,
    options: ImportOptions,
    report: ImportReport,
) -> None:
    notes = report.notes
    author = channel.author or channel.owner_name or channel.title
    email = channel.owner_email or options.owner_email
    if not email or not EMAIL.match(email):
        raise PodcastError(
            f"{source}: the feed names no owner e-mail (itunes:owner); give the show's "
            "owner address with --owner-email"
        )
    base_url = options.base_url or channel.link or ""
    if not base_url.startswith("https://"):
        raise PodcastError(
            f"{source}: give the address the new show will be served at with --base-url "
            f"(https://...); the feed's own link ({channel.link or 'none'}) is not https"
        )
    language = channel.language or ""
    if not BCP47.match(language):
        notes.append(f"language {language!r} is not a BCP 47 tag: set to en (correct it)")
        language = "en"
    category: dict[str, str | None] | None = None
    for name, sub in channel.categories:
        if name in APPLE_CATEGORIES:
            category = {"name": name, "subcategory": sub if sub in APPLE_CATEGORIES[name] else None}
            break
    if category is None:
        named = ", ".join(n for n, _ in channel.categories) or "none"
        notes.append(f"no Apple category in the feed ({named}): set to Society & Culture")
        category = {"name": "Society & Culture"}
    cover = _cover(channel, folder, options, notes)
    guid = (channel.podcast_guid or "").lower()
    try:
        guid = str(uuid.UUID(guid))
    except ValueError:
        # Apps and directories know a feed without one by the guid of its address.
        address = base if base.startswith("http") else None
        guid = podcast_guid(address) if address else ""
        if guid:
            notes.append(f"podcast:guid {guid} (derived from {address}, as directories do)")
    description = truncate_bytes(_clean(plain(channel.description))) or channel.title
    hosts = [p for p in (_person(e, notes, "hosts") for e in channel.persons) if p]
    funding = None
    if channel.funding and urlsplit(channel.funding[0]).scheme in ("http", "https"):
        funding = {"url": channel.funding[0], "text": _clean(channel.funding[1])}
    config: dict[str, Any] = {
        "title": _clean(channel.title),
        "description": description,
        "author": _clean(author),
        "language": language,
        "base_url": base_url,
        "cover": cover,
        "copyright": _clean(channel.copyright or f"© {author}"),
        # The licence was not stated in the feed: claim none.
        "license": "All rights reserved",
        "license_url": "",
        "explicit": bool(channel.explicit),
        "type": channel.show_type if channel.show_type in ("episodic", "serial") else None,
        "podcast_guid": guid or None,
        "locked": channel.locked if channel.locked is not None else None,
        "owner": {"name": _clean(channel.owner_name or author), "email": email},
        "category": category,
        "funding": funding,
        "hosts": hosts,
    }
    header = (
        f"# Imported from {source} by `podcast import`.\n"
        "# podcast_guid and every episode's guid are the show's published identity: never\n"
        "# change them."
    )
    write_text(folder / SHOW_FILE, toml_text(config, header))


def _cover(channel: FeedChannel, folder: Path, options: ImportOptions, notes: list[str]) -> str:
    """The show's cover downloaded (a placeholder when there is none)."""
    from podcast.scaffold import placeholder_cover

    if channel.image_url:
        try:
            data = fetch_bytes(channel.image_url, options.timeout)
        except PodcastError as error:
            notes.append(f"cover: {error}; a placeholder was drawn (replace it)")
        else:
            suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
            path = folder / f"cover{suffix}"
            path.write_bytes(data)
            try:
                load_cover(path)
            except PodcastError as error:
                notes.append(f"the feed's cover will not do: {error}; replace {path.name}")
            return path.name
    else:
        notes.append("the feed has no cover: a placeholder was drawn (replace it)")
    placeholder_cover(folder / "cover.jpg", channel.title)
    return "cover.jpg"


def _episode_image(
    item: FeedItem, channel: FeedChannel, episode: Path, options: ImportOptions
) -> str | None:
    """The episode's own cover, where it has one that apps accept (else the show's is used)."""
    if not item.image_url or item.image_url == channel.image_url:
        return None
    try:
        data = fetch_bytes(item.image_url, options.timeout)
    except PodcastError as error:
        item.notes.append(f"image: {error}; the show's cover is used")
        return None
    path = episode / ("image.png" if data.startswith(b"\x89PNG") else "image.jpg")
    path.write_bytes(data)
    try:
        load_cover(path, "image")
    except PodcastError as error:
        path.unlink()
        item.notes.append(f"the episode's picture is left out: {error}")
        return None
    return path.name


def _person(entry: PersonEntry, notes: list[str], where: str) -> dict[str, Any] | None:
    role = entry.role.lower()
    if not any(role in roles for roles in PERSON_TAXONOMY.values()):
        notes.append(f"{where}: {entry.name}: role {role!r} is not in the taxonomy; made a guest")
        role = "guest"
    return {
        "name": _clean(entry.name),
        "role": role,
        "href": entry.href if entry.href and entry.href.startswith("http") else None,
        "img": entry.img if entry.img and entry.img.startswith("http") else None,
    }


def _location(entry: LocationEntry, notes: list[str]) -> dict[str, Any]:
    geo = entry.geo if entry.geo and re.match(GEO_URI, entry.geo) else None
    osm = entry.osm if entry.osm and re.fullmatch(r"[NWR]\d+(#\d+)?", entry.osm) else None
    if entry.geo and geo is None:
        notes.append(f"location {entry.name}: geo {entry.geo!r} is not a geo URI; left out")
    country = entry.country.upper() if entry.country and len(entry.country) == 2 else None
    rel = entry.rel if entry.rel in ("subject", "creator") else None
    return {"name": _clean(entry.name), "geo": geo, "osm": osm, "country": country, "rel": rel}


def _import_item(
    item: FeedItem,
    channel: FeedChannel,
    folder: Path,
    slug: str,
    options: ImportOptions,
    report: ImportReport,
) -> None:
    episode = folder / "episodes" / slug
    episode.mkdir(parents=True, exist_ok=True)
    front: dict[str, Any] = {
        "title": _clean(item.title),
        "number": item.number,
        "season": item.season if item.season and item.season >= 1 else None,
        "date": item.date.isoformat(),
        "episode_type": item.episode_type
        if item.episode_type in ("full", "trailer", "bonus")
        else "full",
        "summary": _summary(item),
        "guid": item.guid,
        "explicit": item.explicit if item.explicit not in (None, channel.explicit) else None,
    }
    audio, id3_chapters, duration = _audio(item, folder, episode, options, report)
    front.update(audio)
    front["chapters"] = _chapters(item, episode, options, id3_chapters, duration)
    front["transcripts"] = _transcripts(item, episode, channel, options)
    front["image"] = _episode_image(item, channel, episode, options)
    front["persons"] = [p for p in (_person(e, item.notes, "persons") for e in item.persons) if p]
    front["locations"] = [_location(e, item.notes) for e in item.locations]
    body = notes_markdown(item.notes_html, item.link, item.notes)
    write_text(episode / EPISODE_FILE, episode_text(front, body))


def _audio(
    item: FeedItem, folder: Path, episode: Path, options: ImportOptions, report: ImportReport
) -> tuple[dict[str, Any], list[tuple[float, str]], float]:
    """The front matter's `media` (or `recordings`), the chapters the audio file has, and how
    long it plays."""
    enclosure = item.enclosure
    if options.keep_media_urls and not options.remaster:
        if enclosure.mime not in KEPT_TYPES:
            raise PodcastError(f"{enclosure.url}: {enclosure.mime} cannot be named in a feed")
        length = enclosure.length
        if not length or length < MIN_PLAUSIBLE_BYTES:  # missing, or a placeholder like 1
            length = content_length(enclosure.url, options.timeout)
            item.notes.append(f"the feed gave the length {enclosure.length}: asked the server")
        duration = item.duration
        if not length or duration is None:
            # What the feed leaves out is measured on the file (then deleted).
            fetched = _fetch(item, folder, folder / PARTIAL_FOLDER / "measure", options, report)
            length = fetched.stat().st_size
            duration = probe(fetched).duration
            fetched.unlink()
            item.notes.append("length or duration missing in the feed: measured on the file")
        return (
            {
                "media": {
                    "url": enclosure.url,
                    "length": length,
                    "type": "audio/mpeg" if enclosure.mime == "audio/mpeg" else enclosure.mime,
                    "duration": round(duration, 3),
                }
            },
            [],
            duration,
        )
    suffix = SUFFIXES.get(enclosure.mime) or Path(urlsplit(enclosure.url).path).suffix or ".mp3"
    target = episode / f"audio{suffix.lower()}"
    path = _fetch(item, folder, target, options, report)
    info = probe(path)
    size = path.stat().st_size
    if enclosure.length and enclosure.length != size:
        item.notes.append(
            f"the feed gave {enclosure.length} bytes, the file has {size}: the new feed says {size}"
        )
    if item.duration is not None and abs(item.duration - info.duration) > 1:
        item.notes.append(
            f"the feed said {item.duration:.0f} s, the file plays {info.duration:.1f} s"
        )
    chapters = list(info.chapters)
    if options.remaster or info.codec != "mp3":
        if not options.remaster:
            item.notes.append(f"the audio is {info.codec}, not MP3: it will be re-mastered")
        return {"recordings": [{"file": path.name}]}, chapters, info.duration
    digest = next(sha for name, _, sha in report.downloaded if name == str(path))
    return {"media": {"file": path.name, "sha256": digest}}, chapters, info.duration


def _fetch(
    item: FeedItem, folder: Path, target: Path, options: ImportOptions, report: ImportReport
) -> Path:
    """Download the item's audio to `target`, resumable across runs (the partial file waits in
    the show's .cache, named by the GUID)."""
    key = hashlib.sha256(item.guid.encode()).hexdigest()[:16]
    staging = folder / PARTIAL_FOLDER / f"{key}{target.suffix}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    shown = f"{target.parent.name}/{target.name}"
    progress = options.progress
    got = download(
        item.enclosure.url,
        staging,
        options.timeout,
        None if progress is None else lambda _, done, total: progress(shown, done, total),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(got.path, target)
    report.downloaded.append((str(target), got.size, got.sha256))
    if got.resumed:
        item.notes.append("the download was resumed where it had stopped")
    return target


def _chapters(
    item: FeedItem,
    episode: Path,
    options: ImportOptions,
    id3: list[tuple[float, str]],
    duration: float,
) -> Any:
    """The chapters as the front matter names them: a chapters file, a list, or none (those
    past the end of the audio left out)."""
    if item.chapters_url:
        try:
            data = fetch_bytes(item.chapters_url, options.timeout)
        except PodcastError as error:
            item.notes.append(f"chapters: {error}; the feed's other chapters are used")
        else:
            (episode / "chapters.json").write_bytes(data)
            return "chapters.json"
    marks: list[tuple[str, str, str | None]] = [
        (c.start, _clean(plain(c.title)), c.href) for c in item.simple_chapters
    ]
    if not marks and id3:
        marks = [(f"{start:.3f}", _clean(title), None) for start, title in id3]
    chapters: list[dict[str, Any]] = []
    last = -1.0
    for start, title, href in marks:
        seconds = _seconds(start)
        if seconds is None or not title:
            item.notes.append(f"chapter {title!r} at {start!r}: not readable; left out")
            continue
        if not chapters and seconds > 0:
            if seconds > 1:
                item.notes.append(f"the first chapter started at {start}; moved to 00:00")
            seconds = 0.0
        if seconds >= duration:
            item.notes.append(f"chapter {title!r} starts after the audio ends; left out")
            continue
        if seconds <= last:
            item.notes.append(f"chapter {title!r} does not start after the one before; left out")
            continue
        last = seconds
        entry: dict[str, Any] = {"start": _clock(seconds), "title": title[:255]}
        if href and href.startswith("http"):
            entry["url"] = href
        chapters.append(entry)
    return chapters


def _seconds(text: str) -> float | None:
    from podcast.importer.feed import duration_seconds

    return duration_seconds(text)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    text = f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{text}.{millis:03d}" if millis else text


def _transcripts(
    item: FeedItem, episode: Path, channel: FeedChannel, options: ImportOptions
) -> list[dict[str, str]]:
    """Transcripts in a format the build reads (WebVTT, SubRip), one per language."""
    found: list[dict[str, str]] = []
    languages: set[str] = set()
    for transcript in item.transcripts:
        suffix = TRANSCRIPT_SUFFIXES.get(transcript.mime)
        language = transcript.language or channel.language or ""
        if suffix is None:
            item.notes.append(f"transcript {transcript.url}: {transcript.mime} is not read here")
            continue
        if not BCP47.match(language) or any(same_language(language, o) for o in languages):
            continue
        try:
            data = fetch_bytes(transcript.url, options.timeout)
        except PodcastError as error:
            item.notes.append(f"transcript: {error}")
            continue
        name = f"transcript.{language}{suffix}"
        (episode / name).write_bytes(data)
        languages.add(language)
        found.append({"file": name, "language": language})
    return found
