"""The theme: the packaged one, overridable file by file by the show's own `templates/` folder.

The show's files are checked when the show is loaded, like every other file the build reads:
each must lie inside the show (show_files.py), its language files must be TOML with the
packaged keys' kinds of value, its templates valid Jinja. Rendering them is outputs/site.py.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from podcast.errors import Problem
from podcast.show.show_files import inside, outside_show

THEME_FOLDER = "templates"  # the show's own theme files, beside podcast.toml
LANG_FOLDER = "lang"  # the theme's words: lang/<language>.toml
TEMPLATE_SUFFIXES = (".html", ".css", ".xml", ".txt", ".js")  # what the build renders
TEMPLATE_FIX = "fix it; the packaged theme's file of the same name shows how"
_TOML_LINE = re.compile(r"\(at line (\d+)")


def packaged_theme() -> Path | None:
    """The theme that comes with the program: inside the package when installed from a wheel,
    beside it in a checkout."""
    package = Path(__file__).resolve().parent.parent  # podcast/
    for candidate in (package / THEME_FOLDER, package.parent / THEME_FOLDER):
        if candidate.is_dir():
            return candidate
    return None


def theme_dirs(show_root: Path) -> list[Path]:
    """Template folders, first match wins: the show's own, then the packaged theme."""
    candidates = [show_root / THEME_FOLDER, packaged_theme()]
    return [c for c in dict.fromkeys(candidates) if c is not None and c.is_dir()]


def toml_error_line(exc: tomllib.TOMLDecodeError) -> int:
    """The line tomllib names in its message (0 if it names none)."""
    found = _TOML_LINE.search(str(exc))
    return int(found.group(1)) if found else 0


def _theme_files(root: Path, folder: Path) -> list[Path]:
    """Every file and folder link under `folder`; links inside the show `root` are followed
    once (a loop ends there), links out of it are listed, not entered."""
    found: list[Path] = []
    seen: set[Path] = set()
    for top, dirs, files in os.walk(folder, followlinks=True):
        here = Path(top)
        real = here.resolve()
        if real in seen:
            dirs.clear()
            continue
        seen.add(real)
        links = [here / name for name in sorted(dirs) if (here / name).is_symlink()]
        found += links
        dirs[:] = sorted(d for d in dirs if inside(root, here / d))
        found += [here / name for name in sorted(files)]
    return found


def theme_problems(root: Path) -> list[Problem]:
    """What is wrong with the show's own theme files (none when it has no templates/)."""
    folder = root / THEME_FOLDER
    if not folder.exists():
        return []
    outside = outside_show(root, folder, folder, 0, "")
    if outside is not None:
        return [outside]
    problems: list[Problem] = []
    packaged = packaged_theme()
    for path in _theme_files(root, folder):
        outside = outside_show(root, path, path, 0, "")
        if outside is not None:
            problems.append(outside)
        elif path.is_dir():
            continue
        elif path.parent == folder / LANG_FOLDER and path.suffix == ".toml":
            problems += _lang_problems(path, _packaged_words(packaged, path.name))
        elif path.suffix in TEMPLATE_SUFFIXES:
            problems += _template_problems(path)
    return problems


def _read(path: Path) -> tuple[str | None, list[Problem]]:
    try:
        return path.read_text(encoding="utf-8"), []
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, "", "not valid UTF-8", "save the file as UTF-8")]
    except OSError as exc:
        return None, [Problem(path, 0, "", f"cannot read: {exc.strerror}", "check the file")]


def _packaged_words(packaged: Path | None, name: str) -> dict[str, Any]:
    """The packaged language file of that name (else the English one) that a show's file
    overrides: the kinds of value its keys must keep."""
    if packaged is None:
        return {}
    for reference in (packaged / LANG_FOLDER / name, packaged / LANG_FOLDER / "en.toml"):
        if reference.is_file():
            return tomllib.loads(reference.read_text(encoding="utf-8"))
    return {}


def _lang_problems(path: Path, packaged: dict[str, Any]) -> list[Problem]:
    """A language file of the show's: TOML, each value of the kind the packaged file has."""
    text, problems = _read(path)
    if text is None:
        return problems
    try:
        words = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        fix = 'fix the syntax: one `key = "words"` per line, tables as [name]'
        return [Problem(path, toml_error_line(exc), "", f"not valid TOML: {exc}", fix)]
    return [
        Problem(path, _key_line(text, key), key, problem, fix)
        for key, problem, fix in _kind_problems(words, packaged, "")
    ]


def _kind_problems(
    words: dict[str, Any], packaged: dict[str, Any], prefix: str
) -> list[tuple[str, str, str]]:
    """(key, problem, fix) for each value whose kind differs from the packaged file's."""
    found = []
    for key, value in words.items():
        name = f"{prefix}{key}"
        expected = packaged.get(key)
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                found.append((name, "should be a table of words", f"write it as [{name}]"))
            else:
                found += _kind_problems(value, expected, f"{name}.")
        elif not isinstance(value, str):
            found.append((name, "should be words in quotes", f'write {key} = "…"'))
    return found


def _key_line(text: str, dotted: str) -> int:
    """The line a key of a language file is on (its last part, first match; else 0)."""
    key = re.escape(dotted.rsplit(".", 1)[-1])
    found = re.search(rf'^\s*"?{key}"?\s*=', text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 0


def _template_problems(path: Path) -> list[Problem]:
    """A template of the show's: UTF-8 text that Jinja can parse."""
    text, problems = _read(path)
    if text is None:
        return problems
    try:
        SandboxedEnvironment().parse(text, name=path.name, filename=str(path))
    except TemplateSyntaxError as exc:
        return [Problem(path, exc.lineno, "", f"not a valid template: {exc.message}", TEMPLATE_FIX)]
    return []
