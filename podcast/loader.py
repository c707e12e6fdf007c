"""Load and validate a show folder: `podcast.toml` plus `episodes/<slug>/episode.md`.

Every problem is collected (not just the first) and reported as `file:line: field: what (fix)`.
"""

from __future__ import annotations

import difflib
import tomllib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .chapters import read_chapters_file
from .errors import PodcastError, Problem, display_path
from .lock import LOCK_FILE, Lock, read_lock
from .model import (
    ChapterMark,
    Episode,
    EpisodeMeta,
    Recording,
    Show,
    ShowConfig,
    Strict,
    Transcript,
)

SHOW_FILE = "podcast.toml"
EPISODE_FILE = "episode.md"
DATE_EXAMPLE = "2026-03-12T18:00:00+01:00"

Loc = tuple[int | str, ...]


def _known_field_names() -> list[str]:
    names: set[str] = set()
    stack: list[type[BaseModel]] = [Strict]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.update(cls.model_fields)
    return sorted(names)


def _fix_for(error_type: str, loc: Loc, bad_key: str | None) -> str:
    name = str(loc[-1]) if loc else ""
    if error_type == "missing":
        return f"add `{name}`"
    if error_type == "extra_forbidden" and bad_key is not None:
        close = difflib.get_close_matches(bad_key, _known_field_names(), n=1)
        return f"did you mean `{close[0]}`?" if close else "remove it"
    if error_type == "timezone_aware" or name == "date":
        return f"write date and time with a time zone, e.g. {DATE_EXAMPLE}"
    if name == "language":
        return "use a BCP 47 language tag such as de or de-DE"
    if name == "email":
        return "write an e-mail address such as redaktion@example.org"
    if name == "geo":
        return "write geo:LATITUDE,LONGITUDE, e.g. geo:51.3397,12.3731"
    if name == "osm":
        return "write an OpenStreetMap id such as R62649 (N node, W way, R relation)"
    if error_type.startswith(("int_", "float_")):
        return "write a number"
    if error_type in ("string_too_long", "too_long"):
        return "shorten it"
    if error_type in ("string_too_short", "too_short"):
        return "give a value"
    return ""


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def pydantic_problems(
    error: ValidationError, file: Path, locate: Any, line_offset: int = 0
) -> list[Problem]:
    """Turn pydantic's errors into editor-facing problems with line numbers."""
    problems = []
    for item in error.errors():
        loc: Loc = tuple(item["loc"])
        bad_key = str(loc[-1]) if item["type"] == "extra_forbidden" and loc else None
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required but missing"
        problems.append(
            Problem(
                file=file,
                line=locate(loc) + line_offset,
                field=_dotted(loc),
                message=message,
                fix=_fix_for(item["type"], loc, bad_key),
            )
        )
    return problems


def _yaml_line(root: yaml.Node | None, loc: Loc) -> int:
    """1-based line of the deepest YAML node on `loc` (the key line for mapping entries)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _toml_line(text: str, loc: Loc) -> int:
    """Best-effort 1-based line of a TOML key: the key in its table, else the table, else 1."""
    keys = [str(p) for p in loc if isinstance(p, str)]
    if not keys:
        return 1
    table, key = ".".join(keys[:-1]), keys[-1]
    section, fallback = "", 1
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip()
            if section in (table, ".".join(keys)) and fallback == 1:
                fallback = number
        elif "=" in stripped:
            name = stripped.split("=", 1)[0].strip()
            if section == table and name == key:
                return number
            if section == "" and name == keys[0] and fallback == 1:
                fallback = number
    return fallback


def inside(root: Path, path: Path) -> bool:
    """True when `path` (symlinks resolved) lies inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _resolve_file(
    root: Path, base: Path, name: str, problems: list[Problem], file: Path, line: int, field: str
) -> Path | None:
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts:
        problems.append(
            Problem(
                file,
                line,
                field,
                f"'{name}' points outside the show folder",
                "give a path relative to the episode folder, without ../",
            )
        )
        return None
    path = base / candidate
    if not path.exists():
        problems.append(Problem(file, line, field, f"file '{name}' not found", f"put it at {path}"))
        return None
    if not inside(root, path):
        problems.append(
            Problem(
                file,
                line,
                field,
                f"'{name}' is a link to a file outside the show folder",
                "copy the file into the show folder",
            )
        )
        return None
    if not path.is_file():
        problems.append(Problem(file, line, field, f"'{name}' is not a file", "name a file"))
        return None
    return path


def read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        text = path.read_bytes()[: exc.start]
        line = text.count(b"\n") + 1
        problems.append(Problem(path, line, "", "not valid UTF-8", "save the file as UTF-8"))
    except OSError as exc:
        problems.append(Problem(path, 0, "", f"cannot read: {exc.strerror}", "check the file"))
    return None


def load_show_config(root: Path, problems: list[Problem]) -> ShowConfig | None:
    """Read and validate `podcast.toml`; append problems instead of raising."""
    path = root / SHOW_FILE
    if not path.exists():
        problems.append(
            Problem(path, 0, "", "no podcast.toml in the show folder", "create one (see README)")
        )
        return None
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(str(exc).rsplit("line ", 1)[-1].split(",")[0]) if "line " in str(exc) else 0
        problems.append(Problem(path, line, "", f"not valid TOML: {exc}", "fix the syntax"))
        return None
    try:
        return ShowConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, path, lambda loc: _toml_line(text, loc)))
        return None


# libyaml's loader when PyYAML was built with it: several times faster on large shows.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once, safely: the node tree (for line numbers) and the data built from it."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split `---` YAML front matter from the Markdown body; return (yaml, body, body_line)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    return None


def load_episode(root: Path, source: Path, problems: list[Problem], lock: Lock) -> Episode | None:
    """Read and validate one `episode.md`; append problems instead of raising."""
    text = read_text(source, problems)
    if text is None:
        return None
    parts = split_front_matter(text)
    if parts is None:
        problems.append(
            Problem(
                source,
                1,
                "",
                "no YAML front matter",
                "start the file with a line '---', the metadata, and another '---'",
            )
        )
        return None
    front, body, _ = parts
    try:
        node, data = parse_yaml(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problems.append(Problem(source, line, "", f"not valid YAML: {exc}", "fix the syntax"))
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(
                source,
                2,
                "",
                "the front matter is not a mapping of keys to values",
                "write one `key: value` per line",
            )
        )
        return None
    try:
        meta = EpisodeMeta.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, lambda loc: _yaml_line(node, loc), 1))
        return None

    def line_of(*loc: int | str) -> int:
        return _yaml_line(node, loc) + 1

    base = source.parent

    def resolve(name: str, field: str, *loc: int | str) -> Path | None:
        return _resolve_file(root, base, name, problems, source, line_of(*loc), field)

    recordings = []
    for index, ref in enumerate(meta.recordings):
        path = resolve(ref.file, f"recordings[{index}].file", "recordings", index, "file")
        if path is not None:
            recordings.append(Recording(path, ref.start, ref.end))
    transcripts = []
    for index, t in enumerate(meta.transcripts):
        path = resolve(t.file, f"transcripts[{index}].file", "transcripts", index, "file")
        if path is not None:
            transcripts.append(Transcript(path, t.language))
    chapters = _resolve_chapters(root, source, meta, problems, line_of)
    image = resolve(meta.image, "image", "image") if meta.image else None
    slug = base.name
    guid = meta.guid or lock.assigned.get(slug) or f"urn:uuid:{uuid.uuid4()}"
    return Episode(
        slug=slug,
        source=source,
        meta=meta,
        notes_markdown=body,
        recordings=tuple(recordings),
        transcripts=tuple(transcripts),
        chapters=chapters,
        image=image,
        guid=guid,
        name=lock.published.get(guid, slug),
    )


def _resolve_chapters(
    root: Path,
    source: Path,
    meta: EpisodeMeta,
    problems: list[Problem],
    line_of: Callable[..., int],
) -> tuple[ChapterMark, ...]:
    """The episode's chapters from the front matter or the chapters file it names."""
    base = source.parent
    if isinstance(meta.chapters, str):
        path = _resolve_file(
            root, base, meta.chapters, problems, source, line_of("chapters"), "chapters"
        )
        if path is None:
            return ()
        before = len(problems)
        items = read_chapters_file(path, problems)
        if len(problems) > before:
            return ()
        entries = [(path, line, item) for line, item in items]
    else:
        entries = [
            (
                source,
                line_of("chapters", index),
                {"start": c.start, "title": c.title, "url": c.url, "img": c.img},
            )
            for index, c in enumerate(meta.chapters)
        ]
    marks = []
    for index, (file, line, item) in enumerate(entries):
        image = None
        if item.get("img"):
            image = _resolve_file(
                root, base, str(item["img"]), problems, file, line, f"chapters[{index}].img"
            )
        marks.append(
            ChapterMark(
                float(item["start"]), str(item["title"]), item.get("url"), image, file, line
            )
        )
    return tuple(marks)


def _cross_check(episodes: Sequence[Episode], problems: list[Problem]) -> None:
    slugs = {ep.slug for ep in episodes}
    for ep in episodes:
        original = ep.meta.translation_of
        if original is not None and original not in slugs:
            problems.append(
                Problem(
                    ep.source,
                    front_matter_line(ep.source, "translation_of"),
                    "translation_of",
                    f"no episode folder '{original}'",
                    "name the folder of the episode this one translates",
                )
            )
    seen_numbers: dict[tuple[int | None, int], Episode] = {}
    seen_guids: dict[str, Episode] = {}
    seen_names: dict[str, Episode] = {}
    for ep in episodes:
        key = (ep.meta.season, ep.meta.number)
        if key in seen_numbers:
            other = seen_numbers[key].source
            problems.append(
                Problem(
                    ep.source,
                    0,
                    "number",
                    f"episode number {ep.meta.number} is also used by {other}",
                    "give each episode its own number",
                )
            )
        seen_numbers.setdefault(key, ep)
        if ep.guid in seen_guids:
            problems.append(
                Problem(
                    ep.source,
                    0,
                    "guid",
                    f"guid '{ep.guid}' is also used by {seen_guids[ep.guid].source}",
                    "each episode needs its own guid",
                )
            )
        seen_guids.setdefault(ep.guid, ep)
        if ep.name in seen_names and seen_names[ep.name].guid != ep.guid:
            problems.append(
                Problem(
                    ep.source,
                    0,
                    "",
                    f"its URLs would use the name '{ep.name}', which {LOCK_FILE} gives to the "
                    f"published episode {seen_names[ep.name].source}",
                    "rename this episode's folder",
                )
            )
        seen_names.setdefault(ep.name, ep)


def load_show(root: Path) -> Show:
    """Load and validate the whole show; raise PodcastError listing every problem."""
    root = root.resolve()
    problems: list[Problem] = []
    config = load_show_config(root, problems)
    cover = None
    clips: dict[str, Path | None] = {"intro": None, "outro": None, "jingle": None}
    if config is not None:
        toml = root / SHOW_FILE
        text = toml.read_text(encoding="utf-8")
        cover = _resolve_file(
            root, root, config.cover, problems, toml, _toml_line(text, ("cover",)), "cover"
        )
        for name in clips:
            value = getattr(config.audio, name)
            if value:
                line = _toml_line(text, ("audio", name))
                clips[name] = _resolve_file(
                    root, root, value, problems, toml, line, f"audio.{name}"
                )
    try:
        locked = read_lock(root)
    except PodcastError as exc:
        problems.extend(exc.problems)
        locked = Lock()
    episodes = []
    episodes_dir = root / "episodes"
    for folder in sorted(p for p in episodes_dir.glob("*") if p.is_dir()):
        source = folder / EPISODE_FILE
        if not source.exists():
            problems.append(
                Problem(
                    folder,
                    0,
                    "",
                    "episode folder without episode.md",
                    "add episode.md or remove the folder",
                )
            )
            continue
        if not inside(root, source):
            problems.append(
                Problem(
                    source,
                    0,
                    "",
                    "is a link to a file outside the show folder",
                    "copy the file into the show folder",
                )
            )
            continue
        episode = load_episode(root, source, problems, locked)
        if episode is not None:
            episodes.append(episode)
    _cross_check(episodes, problems)
    if problems or config is None or cover is None:
        raise PodcastError(problems)
    episodes.sort(key=lambda e: (e.meta.date, e.meta.number))
    return Show(
        root=root,
        config=config,
        cover=cover,
        intro=clips["intro"],
        outro=clips["outro"],
        jingle=clips["jingle"],
        episodes=tuple(episodes),
    )


def front_matter_line(source: Path, *loc: int | str) -> int:
    """1-based line in `source` of a front-matter field, for problems found after loading."""
    parts = split_front_matter(source.read_text(encoding="utf-8"))
    if parts is None:
        return 0
    return _yaml_line(parse_yaml(parts[0])[0], loc) + 1


def future_dates(show: Show, now: datetime | None = None) -> list[str]:
    """Warnings for episodes dated in the future (apps may hide or misorder them until then)."""
    moment = now or datetime.now(UTC)
    return [
        f"{display_path(e.source)}: date {e.meta.date.isoformat()} is in the future; podcast apps "
        "may hide the episode until then"
        for e in show.episodes
        if e.meta.date > moment
    ]
