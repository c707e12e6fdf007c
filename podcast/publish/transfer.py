"""Moving files to a publish target with the tools made for it: rsync (over ssh, or into a
local folder) and rclone (S3-compatible storage, WebDAV, FTP, SFTP and every other remote
rclone knows). Each call sends or deletes an explicit list of files, so the caller decides the
order; both tools put a file under its name only once it is complete.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podcast.errors import PodcastError
from podcast.programs import run
from podcast.show.schema import PublishTarget
from podcast.show.show_files import file_kind

TRANSFER_TIMEOUT_S = 6 * 3600.0  # a slow line and an hour of broadcast WAV per episode
# rclone -v: "INFO  : audio/x.mp3: Copied (new)"; dry run: "NOTICE: audio/x.mp3: Skipped copy".
_RCLONE_COPIED = re.compile(r"^\S+ \S+ (?:INFO|NOTICE)\s*: (.+?): (?:Copied|Skipped copy)", re.M)
INSTALL_HINT = {
    "rsync": "install rsync (Debian: apt-get install rsync openssh-client)",
    "ssh": "install an OpenSSH client (Debian: apt-get install openssh-client)",
    "rclone": "install rclone (Debian: apt-get install rclone, or https://rclone.org/install/)",
}


class Transport(Protocol):
    """Sends files from a build folder to one target, or deletes files there."""

    @property
    def description(self) -> str:
        """Where the files go, for messages."""
        ...

    def send(self, source: Path, files: Sequence[str], dry_run: bool) -> list[str]:
        """Upload `files` (paths relative to `source`), each complete before it appears;
        the files that were (with `dry_run`: would be) transferred, the rest being there."""
        ...

    def delete(self, source: Path, files: Sequence[str], dry_run: bool) -> None:
        """Delete `files` (relative paths) at the target; files already gone are fine."""
        ...

    def clean_leftovers(self, source: Path, files: Sequence[str], dry_run: bool) -> None:
        """Remove what an interrupted upload of `files` left behind at the target."""
        ...


def transport_for(name: str, target: PublishTarget, show_root: Path) -> Transport:
    """The transport of the target `name` as podcast.toml describes it."""
    if target.kind == "rclone":
        assert target.remote is not None
        return Rclone(target.remote, target.bandwidth_limit_kib)
    assert target.path is not None
    if target.kind == "folder":
        folder = Path(target.path).expanduser()
        if not folder.is_absolute():
            folder = show_root / folder
        description = f"the folder {folder}"
        return Rsync(str(folder).rstrip("/") + "/", description, None, target.bandwidth_limit_kib)
    assert target.host is not None
    shell = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30"]
    # One connection for the five rsync runs of a publish: a handshake is paid once.
    control = Path(tempfile.gettempdir()) / "podcast-ssh-%C"
    shell += ["-o", "ControlMaster=auto", "-o", f"ControlPath={control}"]
    shell += ["-o", "ControlPersist=10"]
    if target.port:
        shell += ["-p", str(target.port)]
    if target.ssh_config:
        config = Path(target.ssh_config).expanduser()
        shell += ["-F", str(config if config.is_absolute() else show_root / config)]
    destination = f"{target.host}:{target.path.rstrip('/')}/"
    return Rsync(destination, f"{name} ({destination})", shell, target.bandwidth_limit_kib)


@contextmanager
def _file_list(files: Sequence[str], separator: bytes = b"\0") -> Iterator[str]:
    """A file listing relative paths (NUL-separated by default: no name can break that),
    removed afterwards."""
    handle, path = tempfile.mkstemp(prefix="podcast-publish-", suffix=".list")
    try:
        with os.fdopen(handle, "wb") as listing:
            listing.write(b"".join(name.encode() + separator for name in files))
        yield path
    finally:
        os.unlink(path)


def _run(command: list[str], tool: str, what: str) -> subprocess.CompletedProcess[str]:
    return run(command, what, tool, timeout=TRANSFER_TIMEOUT_S, hint=INSTALL_HINT[tool])


@dataclass
class Rsync:
    """rsync into `destination` (`host:folder/` over ssh with `shell`, or a local `folder/`).

    Files are compared by size and modification time (a build keeps the times of unchanged
    files), sent whole-file checked, and written under a temporary name first; with
    `--delay-updates` the files of one call appear together at its end.
    """

    destination: str
    description: str
    shell: list[str] | None
    bandwidth_limit_kib: int | None = None

    def _base(self, dry_run: bool) -> list[str]:
        command = ["rsync", "--recursive", "--links", "--times", "--from0", "--protect-args"]
        if self.bandwidth_limit_kib:
            command.append(f"--bwlimit={self.bandwidth_limit_kib}")
        if self.shell is not None:
            command += ["--rsh", " ".join(shlex.quote(part) for part in self.shell)]
            if shutil.which("ssh") is None:
                raise PodcastError(f"{self.description}: {INSTALL_HINT['ssh']}")
        return [*command, "--dry-run"] if dry_run else command

    def send(self, source: Path, files: Sequence[str], dry_run: bool) -> list[str]:
        if not files:
            return []
        if self.shell is None and not dry_run:
            try:
                Path(self.destination).mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                # A target path that is a file or a device (/dev/null) on the way.
                where = Path(exc.filename or self.destination)
                raise PodcastError(
                    f"{self.description}: {where} is {file_kind(where) or 'missing'}, not a "
                    "folder; set path to a folder in podcast.toml"
                ) from exc
        with _file_list(files) as listing:
            command = [*self._base(dry_run), "--delay-updates", "--files-from", listing]
            command += ["--out-format", "sent %n"]
            result = _run([*command, f"{source}/", self.destination], "rsync", self.description)
        sent = (line.removeprefix("sent ") for line in result.stdout.splitlines())
        return [name for name in sent if name and not name.endswith("/")]

    def delete(self, source: Path, files: Sequence[str], dry_run: bool) -> None:
        if not files:
            return
        # Each listed file is missing from the build, so rsync deletes it at the target.
        with _file_list(files) as listing:
            command = [*self._base(dry_run), "--delete-missing-args", "--files-from", listing]
            _run([*command, f"{source}/", self.destination], "rsync", self.description)

    def clean_leftovers(self, source: Path, files: Sequence[str], dry_run: bool) -> None:
        # A killed rsync leaves its temporary copy `.NAME.XXXXXX` beside the file. Only those
        # names of the files we publish are deleted: never a folder, never another file
        # (a web space's .htaccess, statistics, other sites).
        folders = sorted({str(parent) for name in files for parent in Path(name).parents})
        rules = ["P */"]  # protect every folder from deletion
        rules += [f"+ /{_rsync_temporary(name)}" for name in files]
        # Only into the folders these files are in (nothing else is created or looked at).
        rules += [f"+ /{folder}/" for folder in folders if folder != "."]
        rules += ["- *"]
        # With --from0, rsync reads merge files NUL-separated too.
        with _file_list(rules) as rules_file:
            command = [*self._base(dry_run), "--delete", "--filter", f"merge {rules_file}"]
            _run([*command, f"{source}/", self.destination], "rsync", self.description)


def _rsync_temporary(relative: str) -> str:
    """The pattern of rsync's temporary name for `relative` (published names are URL-safe:
    no character in them means anything to rsync's patterns)."""
    folder, _, name = relative.rpartition("/")
    return f"{folder}/.{name}.??????" if folder else f".{name}.??????"


@dataclass
class Rclone:
    """rclone into `remote` (`name:path`; the remote's settings and credentials stay in
    rclone's configuration or its RCLONE_CONFIG_* environment variables)."""

    remote: str
    bandwidth_limit_kib: int | None = None

    @property
    def description(self) -> str:
        return f"the rclone remote {self.remote}"

    def _base(self, command: str, dry_run: bool) -> list[str]:
        base = ["rclone", command, "--no-traverse", "--retries", "3", "--low-level-retries", "10"]
        if self.bandwidth_limit_kib:
            base += ["--bwlimit", f"{self.bandwidth_limit_kib}k"]
        return [*base, "--dry-run"] if dry_run else base

    def send(self, source: Path, files: Sequence[str], dry_run: bool) -> list[str]:
        if not files:
            return []
        # rclone reads lists by line; the loader lets no line break into a published name.
        with _file_list(files, b"\n") as listing:
            command = [*self._base("copy", dry_run), "--files-from-raw", listing, "-v"]
            result = _run([*command, str(source), self.remote], "rclone", self.description)
        return sorted(set(_RCLONE_COPIED.findall(result.stderr)))

    def delete(self, source: Path, files: Sequence[str], dry_run: bool) -> None:
        if not files:
            return
        with _file_list(files, b"\n") as listing:
            command = [*self._base("delete", dry_run), "--files-from-raw", listing]
            _run([*command, self.remote], "rclone", self.description)

    def clean_leftovers(self, source: Path, files: Sequence[str], dry_run: bool) -> None:
        pass  # rclone leaves no temporary files of its own at the remote
