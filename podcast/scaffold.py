"""Starting points editors fill in: a new show (`podcast init`) and a new episode (`podcast
new`), both valid from the first build, and finding the show folder from anywhere inside it."""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
import unicodedata
import uuid
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from podcast.errors import PodcastError, Problem
from podcast.show.diagnostics import pydantic_problems, toml_line
from podcast.show.fields import control_character
from podcast.show.front_matter import split_front_matter
from podcast.show.images import PLACEHOLDER_COVER
from podcast.show.loader import EPISODE_FILE, SHOW_FILE
from podcast.show.pages import PAGES_FOLDER
from podcast.show.schema import ShowConfig
from podcast.show.text import slugify, to_ascii
from podcast.show.vocabularies import APPLE_MAX_PX
from podcast.show.warnings import PLACEHOLDER

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

SHOW_TEMPLATE = '''\
# The show. Every published URL starts with base_url; the build writes into feed/.
# Keys marked "required" must be there; the rest may stay commented out.
title = "{title}"                                   # required
description = """{placeholder}: what the show is about, in two or three sentences."""  # required
author = "{author}"                                 # required: shown as the artist
language = "{language}"                             # required: BCP 47, e.g. de, de-DE, en-GB
base_url = "{base_url}"                             # required: https://, where feed/ is served
cover = "cover.jpg"                                 # required: square JPEG/PNG, 1400-3000 px
copyright = "© {year} {author}"                     # required
{timezone_line}
# license = "CC-BY-SA-4.0"
# license_url = "https://creativecommons.org/licenses/by-sa/4.0/"
# explicit = false
# type = "episodic"                                 # or "serial"
# id3_version = 3                                   # or 4
# media_base_url = "https://media.example.net/show/"  # audio on another host
# enclosure_prefix = "https://op3.dev/e/"           # download counting, off by default
# websub_hub = "https://pubsubhubbub.appspot.com/"  # tell apps at once after a publish
# update_notify = ["https://api.podcastindex.org/api/1.0/hub/pubnotify"]
# locked = true                                     # podcast:locked: no imports elsewhere
# moved_to = "https://new.example.org/feed.xml"     # once the show moved: itunes:new-feed-url
# podcast_guid = "..."                              # kept from an imported feed; never change

[owner]                                             # required: Apple writes to this address
name = "{author}"
email = "{email}"

[category]                                          # required: an Apple Podcasts category
name = "Society & Culture"
# subcategory = "Documentary"

# [funding]
# url = "https://example.org/support/"
# text = "Support the show"

# [subscribe]                                       # links shown on the index page, in order
# apple = "https://podcasts.apple.com/..."           # apple, spotify, antennapod, overcast,
# spotify = "https://open.spotify.com/show/..."      # pocketcasts, podcastaddict, castbox,
# pocketcasts = "https://pca.st/..."                # castro, amazon, deezer, youtube, ...
# "Podcast Republic" = "https://..."                # or any app's name in quotes

# [[hosts]]                                         # people of every episode
# name = "..."
# role = "host"

[audio]                                             # every key; commented out, the default holds
# podcast_lufs = -16.0
# podcast_lufs_mono = -19.0                         # with channels = "mono"
# true_peak = -1.0
# channels = "stereo"                               # or "mono"
# bitrate_kbps = 128                                # MP3; 64 for mono
# broadcast = true                                  # the broadcast WAV for radio partners
# broadcast_lufs = -23.0
# broadcast_bits = 24
# intro = "media/intro.flac"
# outro = "media/outro.flac"
# jingle = "media/jingle.flac"                      # between recordings
# For radio partners' music reports (GEMA, GVL), what each of them is:
# intro_music = {{ title = "…", composer = "…", performer = "…", label = "…", licence = "…" }}
# outro_music = {{ title = "…", composer = "…", performer = "…", label = "…", licence = "…" }}
# jingle_music = {{ title = "…", composer = "…", performer = "…", label = "…", licence = "…" }}
# crossfade_s = 0.5                                 # intro into speech, speech into outro
# alternate_encodings = ["aac", "opus"]
# The interviews' sound: silence trimmed at head and tail, voices levelled, pauses quieter,
# hum and rumble removed (`podcast reference` says more on each).
# trim_silence = true
# silence_threshold_db = -50.0
# silence_min_s = 0.5
# keep_silence_s = 0.25
# level_speech = true
# noise_reduction_db = 12.0                         # 0: the room stays as recorded
# hum_removal = true
# highpass_hz = 70.0                                # 0 turns it off

# [transcription]                                   # `podcast transcribe` (podcast[transcribe])
# auto = false                                      # true: a build transcribes episodes without one
# glossary = ["Migrantenbeirat", "KAV"]             # terms that steer (with steer below)
# steer = "prompt"                                  # or "hotwords", "both", "none"
# review_below = 0.5                                # words less sure than this are marked
# model = "models/whisper-small"                    # a CTranslate2 folder; default: base

# [publish.web]                                     # `podcast publish --to web`
# kind = "ssh"                                      # or "rclone", "folder"
# host = "user@example.org"
# path = "/var/www/podcast"

# [partners.radio]                                  # a station: `podcast publish --to radio`
# format = "wav"                                    # or "mp2", "mp3" (with bitrate_kbps)
# loudness_lufs = -23.0
# file_name = "{{date:%Y%m%d}}_{{show}}_{{number:03d}}"
# cut_id = "{{number:03d}}"                         # the cart chunk's CutID
# slot = "29:00"                                    # a longer episode is a warning
# music_report = true                               # a CSV of the music beside the audio
# [partners.radio.delivery]                         # its drop box, as a [publish] target
# kind = "ssh"
# host = "import@playout.example.org"
# path = "/srv/dropbox"
'''

LEGAL_PAGES = {
    "impressum.md": "# Impressum\n\n{placeholder}: Name und Anschrift der Verantwortlichen "
    "(§ 5 DDG), eine E-Mail-Adresse.\n",
    "datenschutz.md": "# Datenschutz\n\n{placeholder}: wer die Seiten ausliefert, was der "
    "Server protokolliert und wie lange (Art. 13 DSGVO). Die Seiten selbst laden nichts von "
    "anderen Servern.\n",
}
GITIGNORE = "# Made by `podcast build` (never commit audio or build output)\nfeed/\n.cache/\n"

NOTES = {
    "de": "Shownotes in Markdown: worum es geht, wer spricht, Links.",
    "en": "Show notes in Markdown: what it is about, who speaks, links.",
}
SUMMARY = {
    "de": "ein, zwei Sätze für Podcast-Apps",
    "en": "one or two sentences for podcast apps",
}


# Fonts with every Latin letter shows' names need (ä, ß, ł, č, œ, ...), by the names Pillow
# finds in the system's font folders; the first that has every letter of the title draws it.
COVER_FONTS = (
    "DejaVuSans.ttf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
    "FreeSans.ttf",
    "Arial.ttf",
    "arial.ttf",
)


def has_letters(font: FreeTypeFont, text: str) -> bool:
    """Whether `font` draws every letter of `text` (none comes out as the missing-glyph box)."""

    def drawn(char: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(char)
        return mask.size, bytes(mask)

    missing = drawn("\U0010fffd")  # a private-use code point: no font draws it
    return all(char.isspace() or drawn(char) != missing for char in set(text))


def cover_font(size: int, text: str) -> tuple[FreeTypeFont, str]:
    """A font of `size` px that draws every letter of `text`, and the text it can draw: the
    text itself, or (no such font on this machine) the text in ASCII for Pillow's own font."""
    from PIL import ImageFont

    for name in COVER_FONTS:
        try:
            font = ImageFont.truetype(name, size)
        except OSError:
            continue
        if has_letters(font, text):
            return font, text
    fallback = ImageFont.load_default(size=size)
    assert isinstance(fallback, ImageFont.FreeTypeFont)  # Pillow >= 10.1 with FreeType
    # Letters in ASCII where the font lacks them; symbols (emoji) it cannot draw left out.
    drawable = "".join(
        char
        if has_letters(fallback, char)
        else ""
        if unicodedata.category(char).startswith("S")
        else to_ascii(char)
        for char in text
    )
    return fallback, " ".join(drawable.split()) or "Podcast"


def placeholder_cover(path: Path, title: str) -> None:
    """A plain square cover with the title, large enough for Apple (replace it: `check`
    warns while it is the cover, by the comment it carries)."""
    size = APPLE_MAX_PX
    from PIL import Image, ImageDraw  # only `podcast init` draws

    picture = Image.new("RGB", (size, size), (32, 72, 104))
    draw = ImageDraw.Draw(picture)
    font, title = cover_font(size // 12, title)
    words, lines = title.split(), [""]
    for word in words:
        trial = f"{lines[-1]} {word}".strip()
        if draw.textlength(trial, font=font) > size * 0.8 and lines[-1]:
            lines.append(word)
        else:
            lines[-1] = trial
    draw.multiline_text(
        (size // 2, size // 2),
        "\n".join(lines),
        font=font,
        fill="white",
        anchor="mm",
        align="center",
    )
    picture.save(path, "JPEG", quality=85, comment=PLACEHOLDER_COVER)


def _not_one_line(answer: str) -> str | None:
    """What keeps an answer to `podcast init` from being one line of text, if anything."""
    if len(answer.splitlines()) > 1 or answer.endswith(("\n", "\r")):
        return "the answer has a line break"
    if "\t" in answer:
        return "the answer has a tab"
    return control_character(answer)


def machine_timezone() -> str | None:
    """This machine's IANA time zone (TZ, else /etc/localtime's link, else /etc/timezone), or
    None when it is UTC or cannot be told."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if not name or name.startswith("/"):
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return None if name in _UTC_NAMES else name
    return None


_UTC_NAMES = {
    "UTC",
    "Etc/UTC",
    "Etc/UCT",
    "UCT",
    "Universal",
    "Zulu",
    "Etc/Universal",
    "GMT",
    "Etc/GMT",
    "Etc/Zulu",
    "Etc/GMT+0",
    "Etc/GMT-0",
    "Etc/GMT0",
    "GMT0",
}


def init_show(
    folder: Path,
    title: str,
    author: str,
    language: str,
    base_url: str,
    email: str,
    timezone: str | None = None,
) -> list[Path]:
    """Make a new show in `folder` (empty or new): podcast.toml with every key of the show and
    its [audio] (a publish target and a host in short), the show's time zone (`timezone`; left
    commented out when None), a placeholder cover, episodes/, .gitignore. Returns the files
    made."""
    folder = folder.absolute()
    if (folder / SHOW_FILE).exists():
        raise PodcastError(f"{folder / SHOW_FILE}: a show is here already")
    visible = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    if visible:
        raise PodcastError(
            f"{folder}: not empty ({', '.join(sorted(p.name for p in visible)[:3])}, ...); "
            "start a show in an empty or new folder"
        )

    answers = {"title": title, "author": author, "language": language}
    answers |= {"base-url": base_url, "email": email, "timezone": timezone or ""}
    unusable = [
        Problem(folder / SHOW_FILE, 0, f"--{name}", problem, "give it on one line, as plain text")
        for name, answer in answers.items()
        if (problem := _not_one_line(answer)) is not None
    ]
    if unusable:  # before TOML is written with them: nothing is made
        raise PodcastError(unusable)

    def quoted(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    text = SHOW_TEMPLATE.format(
        title=quoted(title),
        author=quoted(author),
        language=quoted(language),
        base_url=quoted(base_url if base_url.endswith("/") else base_url + "/"),
        email=quoted(email),
        year=datetime.now().year,
        placeholder=PLACEHOLDER,
        timezone_line=(
            f'timezone = "{quoted(timezone)}"                  # `podcast new` dates episodes in it'
            if timezone
            else '# timezone = "Europe/Berlin"                        # for `podcast new`'
        ),
    )
    try:  # checked before anything is written: a bad answer leaves the folder as it was
        ShowConfig.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        where = folder / SHOW_FILE
        raise PodcastError(pydantic_problems(exc, where, lambda loc: toml_line(text, loc))) from exc
    except tomllib.TOMLDecodeError as exc:  # an answer TOML cannot hold (checked above)
        raise PodcastError(
            f"{folder / SHOW_FILE}: an answer cannot be written to TOML ({exc}); "
            "answer in plain text"
        ) from exc
    made = [folder / SHOW_FILE, folder / "cover.jpg", folder / ".gitignore"]
    folder.mkdir(parents=True, exist_ok=True)
    placeholder_cover(made[1], title)  # first: what may fail leaves no half-made show
    (folder / "episodes").mkdir(parents=True, exist_ok=True)
    made[0].write_text(text, encoding="utf-8")
    if language.lower().startswith("de"):  # German law wants both on such a site
        (folder / PAGES_FOLDER).mkdir(exist_ok=True)
        for name, text in LEGAL_PAGES.items():
            made.append(folder / PAGES_FOLDER / name)
            made[-1].write_text(text.format(placeholder=PLACEHOLDER), encoding="utf-8")
    if not made[2].exists():
        made[2].write_text(GITIGNORE, encoding="utf-8")
    return made


def _next_number(root: Path) -> int:
    numbers = [0]
    for source in sorted((root / "episodes").glob(f"*/{EPISODE_FILE}")):
        parts = split_front_matter(source.read_text(encoding="utf-8-sig", errors="replace"))
        found = re.search(r"^number:\s*(\d+)", parts[0] if parts else "", re.M)
        if found:
            numbers.append(int(found.group(1)))
    return max(numbers) + 1


TITLE_MAX = 255  # as show/fields.Title


def new_episode(
    root: Path, title: str, language: str, timezone: str | None, now: datetime | None = None
) -> Path:
    """Scaffold episodes/<NN-slug>/episode.md: the next number, now in the show's time zone
    (`timezone`, else this machine's), a fresh GUID and every field an episode usually needs,
    with TODO placeholders `podcast check` warns about until they are filled in."""
    title = title.strip()
    problem = _not_one_line(title)
    if not title or len(title) > TITLE_MAX:
        problem = f"must be 1 to {TITLE_MAX} characters long (it is {len(title)})"
    if problem is not None:  # what the loader would refuse is not written in the first place
        raise PodcastError(f"podcast new: the title cannot be used: {problem}; give another title")
    number = _next_number(root)
    folder = root / "episodes" / f"{number:02d}-{slugify(title)}"
    if folder.exists():
        raise PodcastError(f"{folder}: already exists; choose another title")
    zone = ZoneInfo(timezone) if timezone else None
    moment = (now or datetime.now(zone)).astimezone(zone).replace(microsecond=0)
    zone_note = f"in {timezone}" if timezone else "in this machine's time zone (set `timezone`)"
    lang = language.split("-")[0].lower()
    escaped = title.replace("\\", "\\\\").replace('"', '\\"')
    folder.mkdir(parents=True)
    source = folder / EPISODE_FILE
    source.write_text(
        "---\n"
        f'title: "{escaped}"\n'
        f"number: {number}\n"
        f"# season: 1\n"
        f"date: {moment.isoformat()}  # {zone_note}\n"
        "episode_type: full\n"
        f"summary: >-\n  {PLACEHOLDER}: {SUMMARY.get(lang, SUMMARY['en'])}.\n"
        f'guid: "urn:uuid:{uuid.uuid4()}"\n'
        "persons: []\n"
        "#  - name: ...\n#    role: guest\n"
        "recordings:\n  - file: interview.wav\n"
        "# or a microphone per person (names from persons or the show's hosts):\n"
        "#  - tracks:\n#      - {file: host.wav, person: ...}\n"
        "#      - {file: guest.wav, person: ...}\n"
        f"announcement: >-\n  {PLACEHOLDER}\n"
        f"back_announcement: >-\n  {PLACEHOLDER}\n"
        '# chapters: chapters.txt  # or a list: [{start: "00:00", title: ...}]\n'
        "# transcripts:\n#  - file: transcript.vtt\n#    language: " + lang + "\n"
        "---\n"
        f"{PLACEHOLDER}: {NOTES.get(lang, NOTES['en'])}\n",
        encoding="utf-8",
    )
    return source
