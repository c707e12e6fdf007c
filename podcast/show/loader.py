"""Load and validate a show folder: `podcast.toml` plus `episodes/<slug>/episode.md`.

Every problem is collected (not just the first) and reported as `file:line: field: what (fix)`
(diagnostics.py); files named in them are resolved inside the show folder, and every episode
keeps the lines its fields were written on (front_matter.py).
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

from podcast.errors import PodcastError, Problem
from podcast.show.chapter_files import read_chapters_file
from podcast.show.delivery_places import delivery_problems
from podcast.show.diagnostics import CONTROL_CHARACTER_FIX, Loc, pydantic_problems, toml_line
from podcast.show.front_matter import (
    control_character_lines,
    duplicate_keys,
    field_lines,
    parse_yaml,
    split_front_matter,
    yaml_problem,
)
from podcast.show.images import picture_problem
from podcast.show.locate import SHOW_FILE as SHOW_FILE
from podcast.show.lock import LOCK_FILE, Lock, read_lock
from podcast.show.model import ChapterMark, Episode, Recording, Show, Track, Transcript
from podcast.show.note_images import note_images
from podcast.show.pages import PAGES_FOLDER, load_pages
from podcast.show.schema import Chapter, EpisodeMeta, ShowConfig
from podcast.show.show_files import outside_show, resolve_file
from podcast.show.text import url_name
from podcast.show.theme import theme_problems
from podcast.show.vocabularies import ID3_MAX_CHAPTERS
from podcast.show.whisper_model import model_problems

EPISODE_FILE = "episode.md"


def read_text(path: Path, problems: list[Problem]) -> str | None:
    """The text of an editors' file; a UTF-8 byte-order mark (Windows editors) is dropped."""
    try:
        return path.read_text(encoding="utf-8-sig")
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
            Problem(
                path,
                0,
                "",
                "no podcast.toml here or in any folder above",
                "start a show with `podcast init`, or run the command inside a show folder",
            )
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
        config = ShowConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, path, lambda loc: toml_line(text, loc)))
        return None
    places = delivery_problems(config, root, path, text)
    problems += places
    return None if places else config


def load_episode(
    root: Path, source: Path, problems: list[Problem], lock: Lock, hosts: tuple[str, ...] = ()
) -> Episode | None:
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
    front, body, body_line = parts
    try:
        node, data = parse_yaml(front)
    except yaml.YAMLError as exc:
        problems.append(yaml_problem(exc, source, first_line=2))  # after the opening `---`
        return None
    lines = field_lines(node, first_line=2)  # after the opening `---`
    duplicates = duplicate_keys(node)
    for line, key in duplicates:
        problems.append(
            Problem(source, line + 1, key, "given twice", "keep one of them and delete the other")
        )
    for line, problem in control_character_lines(body):
        problems.append(
            Problem(
                source,
                body_line + line - 1,
                "notes",
                problem,
                CONTROL_CHARACTER_FIX,
            )
        )
    if duplicates:
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
        problems.extend(pydantic_problems(exc, source, lambda loc: lines.line(*loc)))
        return None

    line_of = lines.line

    base = source.parent

    def resolve(name: str, field: str, *loc: int | str) -> Path | None:
        return resolve_file(root, base, name, problems, source, line_of(*loc), field)

    recordings = []
    for index, ref in enumerate(meta.recordings):
        tracks = _resolve_tracks(meta, index, hosts, resolve, line_of, problems, source)
        if ref.tracks:
            path = tracks[0].path if tracks and len(tracks) == len(ref.tracks) else None
        else:
            assert ref.file is not None  # the schema asks for a file or tracks
            path = resolve(ref.file, f"recordings[{index}].file", "recordings", index, "file")
        if path is not None:
            recordings.append(
                Recording(
                    path,
                    ref.start,
                    ref.end,
                    ref.level_speech,
                    ref.noise_reduction_db,
                    ref.hum_removal,
                    ref.highpass_hz,
                    ref.speakers,
                    tracks,
                )
            )
    media_file = None
    if meta.media is not None and meta.media.file is not None:
        media_file = resolve(meta.media.file, "media.file", "media", "file")
    transcripts = []
    for index, t in enumerate(meta.transcripts):
        path = resolve(t.file, f"transcripts[{index}].file", "transcripts", index, "file")
        if path is not None:
            transcripts.append(Transcript(path, t.language))
    _one_transcript_per_language(meta, source, line_of, problems)
    chapters = _resolve_chapters(root, source, meta, problems, line_of)
    image = resolve(meta.image, "image", "image") if meta.image else None
    pictures = note_images(
        body,
        body_line,
        source,
        lambda name, line, field: resolve_file(root, base, name, problems, source, line, field),
        problems,
    )
    slug = base.name
    guid = meta.guid or lock.assigned.get(slug) or f"urn:uuid:{uuid.uuid4()}"
    name = lock.published.get(guid) or lock.retired.get(guid) or url_name(slug)
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
        name=name,
        lines=lines,
        note_images=pictures,
        media_file=media_file,
    )


def same_language(a: str, b: str) -> bool:
    """Whether two BCP 47 tags name one language for a listener: equal, or one a narrower form
    of the other (de and de-DE; not zh-Hans and zh-Hant)."""
    a, b = a.lower(), b.lower()
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def _one_transcript_per_language(
    meta: EpisodeMeta, source: Path, line_of: Callable[..., int], problems: list[Problem]
) -> None:
    """Two transcripts of one language would be published side by side in every format."""
    for index, ref in enumerate(meta.transcripts):
        earlier = next(
            (t for t in meta.transcripts[:index] if same_language(t.language, ref.language)), None
        )
        if earlier is not None:
            problems.append(
                Problem(
                    source,
                    line_of("transcripts", index, "file"),
                    "transcripts",
                    f"{ref.file} ({ref.language}) is a second transcript in the language of "
                    f"{earlier.file} ({earlier.language}); an episode has one transcript per "
                    "language",
                    "keep one of them and remove the other from transcripts",
                )
            )


def _resolve_tracks(
    meta: EpisodeMeta,
    index: int,
    hosts: tuple[str, ...],
    resolve: Callable[..., Path | None],
    line_of: Callable[..., int],
    problems: list[Problem],
    source: Path,
) -> tuple[Track, ...]:
    """The tracks of recording `index` resolved (each file inside the show, each person one
    of the episode's persons or the show's hosts); problems appended."""
    known = [p.name for p in meta.persons] + list(hosts)
    tracks: list[Track] = []
    for number, ref in enumerate(meta.recordings[index].tracks):
        where = ("recordings", index, "tracks", number)
        field = f"recordings[{index}].tracks[{number}]"
        if ref.person is not None and ref.person not in known:
            names = ", ".join(known) if known else "none yet"
            problems.append(
                Problem(
                    source,
                    line_of(*where, "person"),
                    f"{field}.person",
                    f"'{ref.person}' is not one of the episode's persons or the show's hosts",
                    f"add them under `persons`, or use one of: {names}",
                )
            )
        person_of = {t.person: n for n, t in enumerate(tracks) if t.person is not None}
        if ref.person is not None and ref.person in person_of:
            problems.append(
                Problem(
                    source,
                    line_of(*where, "person"),
                    f"{field}.person",
                    f"'{ref.person}' already has recordings[{index}].tracks"
                    f"[{person_of[ref.person]}]: one track per person",
                    "mix that person's microphones into one file first, or leave one out",
                )
            )
        path = resolve(ref.file, f"{field}.file", *where, "file")
        if path is not None:
            line = line_of(*where, "file")
            same = [n for n, t in enumerate(tracks) if t.path.resolve() == path.resolve()]
            if same:
                problems.append(
                    Problem(
                        source,
                        line,
                        f"{field}.file",
                        f"'{ref.file}' is already recordings[{index}].tracks[{same[0]}]: each "
                        "track is a file of its own",
                        "name the file this microphone recorded",
                    )
                )
            tracks.append(Track(path, ref.person, ref.role, ref.offset_s, line))
    return tuple(tracks)


def _at_line(line: int) -> Callable[[Loc], int]:
    """A locator that puts every problem on one line (a chapters file's entry)."""
    return lambda _: line


def _resolve_chapters(
    root: Path,
    source: Path,
    meta: EpisodeMeta,
    problems: list[Problem],
    line_of: Callable[..., int],
) -> tuple[ChapterMark, ...]:
    """The episode's chapters from the front matter or the chapters file it names."""
    base = source.parent
    before = len(problems)
    if isinstance(meta.chapters, str):
        path = resolve_file(
            root, base, meta.chapters, problems, source, line_of("chapters"), "chapters"
        )
        if path is None:
            return ()
        items = read_chapters_file(path, problems)
        if len(problems) > before:
            return ()
        # A chapters file gets the same checks as chapters in the front matter.
        entries = []
        for index, (line, item) in enumerate(items):
            try:
                chapter = Chapter.model_validate({k: v for k, v in item.items() if v is not None})
            except ValidationError as exc:
                where = ("chapters", index)
                problems.extend(pydantic_problems(exc, path, _at_line(line), where))
                continue
            entries.append((path, line, chapter))
    else:
        entries = [
            (source, line_of("chapters", index), chapter)
            for index, chapter in enumerate(meta.chapters)
        ]
    if len(entries) > ID3_MAX_CHAPTERS:
        file, line, _ = entries[ID3_MAX_CHAPTERS]
        problems.append(
            Problem(
                file,
                line,
                f"chapters[{ID3_MAX_CHAPTERS}]",
                f"{len(entries)} chapters; an MP3's chapter table (ID3 CTOC) holds at most "
                f"{ID3_MAX_CHAPTERS}",
                "merge chapters: at most one every few minutes helps listeners most",
            )
        )
        return ()
    marks = []
    for index, (file, line, chapter) in enumerate(entries):
        image = None
        if chapter.img:
            field = f"chapters[{index}].img"
            image = resolve_file(root, base, chapter.img, problems, file, line, field)
            unusable = picture_problem(image) if image is not None else None
            if unusable is not None:
                problems.append(Problem(file, line, field, unusable[0], unusable[1]))
        marks.append(ChapterMark(chapter.start, chapter.title, chapter.url, image, file, line))
    return tuple(marks) if len(problems) == before else ()


def _cross_check(episodes: Sequence[Episode], problems: list[Problem]) -> None:
    slugs = {ep.slug for ep in episodes}
    for ep in episodes:
        original = ep.meta.translation_of
        if original is not None and original not in slugs:
            problems.append(
                Problem(
                    ep.source,
                    ep.lines.line("translation_of"),
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
                    f"its URLs would use the name '{ep.name}', which is already the URL name of "
                    f"{seen_names[ep.name].source} (see {LOCK_FILE})",
                    "rename this episode's folder",
                )
            )
        seen_names.setdefault(ep.name, ep)


def episode_folders(root: Path) -> list[Path]:
    """The folders under episodes/ that hold episodes: hidden ones (`.name`, as sync tools
    make them) are left out, here and when the build looks for changes."""
    folder = root / "episodes"
    return sorted(p for p in folder.glob("*") if p.is_dir() and not p.name.startswith("."))


def load_show(root: Path) -> Show:
    """Load and validate the whole show; raise PodcastError listing every problem."""
    root = root.resolve()
    problems: list[Problem] = []
    config = load_show_config(root, problems)
    cover = None
    clips: dict[str, Path | None] = {"intro": None, "outro": None, "jingle": None}
    if config is not None:
        toml = root / SHOW_FILE
        text = toml.read_text(encoding="utf-8-sig")
        cover = resolve_file(
            root, root, config.cover, problems, toml, toml_line(text, ("cover",)), "cover"
        )
        for name in clips:
            value = getattr(config.audio, name)
            if value:
                line = toml_line(text, ("audio", name))
                clips[name] = resolve_file(root, root, value, problems, toml, line, f"audio.{name}")
        line = toml_line(text, ("transcription", "model"))
        problems += model_problems(config.transcription.model, root, toml, line)
    try:
        locked = read_lock(root)
    except PodcastError as exc:
        problems.extend(exc.problems)
        locked = Lock()
    episodes = []
    for folder in episode_folders(root):
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
        outside = outside_show(root, source, source, 0, "")
        if outside is not None:
            problems.append(outside)
            continue
        hosts = tuple(h.name for h in config.hosts) if config is not None else ()
        episode = load_episode(root, source, problems, locked, hosts)
        if episode is not None:
            episodes.append(episode)
    _cross_check(episodes, problems)
    pages = load_pages(
        root,
        problems,
        lambda name, page, line, field: resolve_file(
            root, root / PAGES_FOLDER, name, problems, page, line, field
        ),
    )
    problems += theme_problems(root)
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
        pages=pages,
    )
