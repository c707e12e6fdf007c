"""`[transcription] model` checked when the show is loaded: a value that looks like a path is a
CTranslate2 Whisper model folder (relative to podcast.toml, inside or outside the show: it is
read, never published), which must hold the four files faster-whisper reads and each must look
like a Whisper model's (without tokenizer.json faster-whisper would go to the network); any
other value must be one of the model names faster-whisper downloads."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import BinaryIO

from podcast.errors import Problem

MODEL_FILES = ("model.bin", "config.json", "vocabulary.txt", "tokenizer.json")
# faster-whisper's own names (faster_whisper.utils.available_models(), 1.1): it downloads them.
MODEL_NAMES = (
    "tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium",
    "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-medium.en",
    "distil-small.en", "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo",
)  # fmt: skip
# The fields CTranslate2's Whisper converter writes into config.json.
CONFIG_FIELDS = ("suppress_ids", "suppress_ids_begin", "lang_ids")
SMALLEST_MODEL = 1 << 20  # Whisper tiny in int8 is about 40 MB
FOLDER_FIX = (
    "use a folder converted with ct2-transformers-converter (model.bin, config.json, "
    "vocabulary.txt, tokenizer.json), or remove the line to use the default model"
)


# The layouts of CTranslate2's model.bin whose size follows from its header (binary versions
# 4 to 6, what CTranslate2 3 and 4 write): a version number, the spec's name and revision,
# then each variable's name, shape, type and byte count before its bytes, then the aliases.
WALKED_VERSIONS = range(4, 7)


class _Truncated(Exception):
    pass


def _read(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise _Truncated
    return data


def _skip_string(handle: BinaryIO) -> None:
    (length,) = struct.unpack("<H", _read(handle, 2))
    _read(handle, length)


def described_size(path: Path) -> tuple[int, int] | None:
    """How many bytes a CTranslate2 model.bin's own header says it holds, and how many it
    has (when it ends before its last variable: as far as the header could be read); None for
    a binary version whose layout is not known here. Only headers are read: the variables'
    bytes are skipped with seeks, so a 1.5 GB model is checked in a few milliseconds."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        try:
            (version,) = struct.unpack("<I", _read(handle, 4))
            if version not in WALKED_VERSIONS:
                return None
            _skip_string(handle)  # the spec's name: WhisperSpec
            _read(handle, 4)  # its revision
            (count,) = struct.unpack("<I", _read(handle, 4))
            for _ in range(count):
                _skip_string(handle)
                (rank,) = struct.unpack("<B", _read(handle, 1))
                _read(handle, 4 * rank + 1)  # the dimensions, the type
                (length,) = struct.unpack("<I", _read(handle, 4))
                end = handle.tell() + length
                if end > size:
                    return end, size
                handle.seek(end)
            (aliases,) = struct.unpack("<I", _read(handle, 4))
            for _ in range(2 * aliases):
                _skip_string(handle)
        except _Truncated:
            return handle.tell() + 1, size
        return handle.tell(), size


def model_folder(setting: str, root: Path) -> Path | None:
    """The folder a `[transcription] model` value names, or None when it is a model name: a
    value with a slash, or starting with . or ~, is a path (relative to the show's folder)."""
    looks_like_path = "/" in setting or "\\" in setting or setting.startswith((".", "~"))
    if looks_like_path or (root / setting).is_dir():
        # An absolute path stays itself; ../ is taken away in the name shown.
        return Path(os.path.normpath(root / Path(setting).expanduser()))
    return None


def _file_problem(path: Path) -> str | None:
    """What is wrong with one file of a model folder, or None."""
    name = path.name
    try:
        if name == "model.bin":
            size = path.stat().st_size
            with path.open("rb") as handle:
                head = handle.read(64)
            if size < SMALLEST_MODEL or b"WhisperSpec" not in head:
                return (
                    f"not a CTranslate2 Whisper model ({size} bytes"
                    + (", too small" if size < SMALLEST_MODEL else "")
                    + ("" if b"WhisperSpec" in head else ", no WhisperSpec header")
                    + ")"
                )
            described = described_size(path)
            if described is not None and described[0] > described[1]:
                return (
                    f"cut short: {described[1]} bytes, but its header describes at least "
                    f"{described[0]} (an interrupted copy or download)"
                )
            return None
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if name == "vocabulary.txt":
        return None if text.strip() else "empty: a Whisper model's vocabulary has 51864 tokens"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return f"not readable JSON ({exc})"
    if name == "tokenizer.json":
        ok = isinstance(data, dict) and isinstance(data.get("model"), dict)
        return None if ok else "not a tokenizer (no model in it)"
    lacking = [f for f in CONFIG_FIELDS if not isinstance(data, dict) or f not in data]
    if lacking:
        return f"not a Whisper model's configuration (without {', '.join(lacking)})"
    return None


def model_problems(setting: str | None, root: Path, toml: Path, line: int) -> list[Problem]:
    """What is wrong with the `[transcription] model` value (at `toml:line`)."""
    if setting is None:
        return []
    field = "transcription.model"
    folder = model_folder(setting, root)
    if folder is None:
        if setting in MODEL_NAMES:
            return []
        return [
            Problem(
                toml,
                line,
                field,
                f"'{setting}' is neither a folder nor a model name faster-whisper knows",
                f"name a model folder as a path ('./{setting}', '../models/{setting}'), or one "
                f"of: {', '.join(MODEL_NAMES)} (downloaded, needs the network)",
            )
        ]
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        return [Problem(toml, line, field, f"the model folder {folder} {what}", FOLDER_FIX)]
    problems = []
    for name in MODEL_FILES:
        path = folder / name
        problem = "missing" if not path.is_file() else _file_problem(path)
        if problem is not None:
            problems.append(Problem(toml, line, field, f"{path}: {problem}", FOLDER_FIX))
    return problems
