"""Moving files to a publish target with the tools made for it: rsync (over ssh, or into a
local folder) and rclone (S3-compatible storage, WebDAV, FTP, SFTP and every other remote
rclone knows). Each call sends or deletes an explicit list of files, so the caller decides the
order and what is sent (from the build's digests, never from sizes or times at the target).

Every file appears at the target only once it is complete: rsync writes into the target's
`.podcast-upload/` folder and renames; rclone uploads the feeds under a temporary name there and
moves them into place on the server. Files that a feed names carry their content's version in
their name (`outputs/urls.versioned`), so they never change under a live URL; an interrupted
upload of one leaves a file no feed names yet, which the next publish completes or removes.

Transfers die with the publish (a parent death signal) and hold the show's lock while they
live; every call has a timeout, and failures name the target with the fix. (Over 400 lines:
the two transports, each whole, and the session they share.)
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from podcast.errors import PodcastError, ToolError
from podcast.outputs.urls import is_versioned
from podcast.programs import run
from podcast.show.schema import PublishTarget

TRANSFER_TIMEOUT_S = 6 * 3600.0  # a slow line and an hour of broadcast WAV per episode
QUICK_TIMEOUT_S = 120.0  # listing a folder, fetching a manifest, moving a file
IO_TIMEOUT_S = 120  # no byte moved for this long: the connection is dead (rsync, rclone)
UPLOAD_FOLDER = ".podcast-upload"  # ours at every target: files in transit, nothing else
# rclone -v: "INFO  : audio/x.mp3: Copied (new)"; dry run: "NOTICE: audio/x.mp3: Skipped copy".
_RCLONE_COPIED = re.compile(r"^\S+ \S+ (?:INFO|NOTICE)\s*: (.+?): (?:Copied|Skipped copy)", re.M)
INSTALL_HINT = {
    "rsync": "install rsync (Debian: apt-get install rsync openssh-client)",
    "ssh": "install an OpenSSH client (Debian: apt-get install openssh-client)",
    "rclone": "install rclone (Debian: apt-get install rclone, or https://rclone.org/install/)",
}
# What the tools say -> what to do about it.
_FIXES = (
    (
        "Host key verification failed",
        "the server's host key is not known or has changed: connect once with ssh (same host, "
        "port and ssh_config) to check and accept its key, then publish again",
    ),
    ("Permission denied", "check the user, the SSH key or credentials, and the folder's rights"),
    ("No space left on device", "the target's disk is full: free space there, publish again"),
    ("Disk quota exceeded", "the target's quota is used up: free space there, publish again"),
    ("Connection refused", "check host and port, and that the server runs"),
    ("Could not resolve hostname", "check the host name (or the Host entry in ssh_config)"),
    ("timed out", "the server does not answer: check the network and the server"),
    ("timeout", "the server stopped answering: check the network and publish again"),
    ("No such file or directory", "check `path`: its parent folder must exist at the target"),
    ("directory not found", "check the remote's path: its parent folder must exist"),
    ("connection refused", "check the remote's address, and that the server runs"),
)


class Transport(Protocol):
    """Sends files from a build folder to one target, or deletes files there."""

    @property
    def description(self) -> str:
        """Where the files go, for messages."""
        ...

    def local_folder(self) -> Path | None:
        """The target's folder when it is on this machine (to keep it apart from the show)."""
        ...

    def listing(self) -> list[str] | None:
        """The names at the top of the target; None when the target does not exist yet."""
        ...

    def fetch(self, name: str) -> bytes | None:
        """A small file from the target (the manifest); None when it is not there."""
        ...

    def prepare(self, dry_run: bool) -> None:
        """Make the target ready for uploads; remove what interrupted ones left in the upload
        folder (nothing else: what they left under final names the publish log knows)."""
        ...

    def send(
        self, source: Path, files: Sequence[str], dry_run: bool, atomic: bool = False
    ) -> list[str]:
        """Upload `files` (paths relative to `source`), each complete before it appears under
        its name, and sent whatever the target has under that name (the caller chose them);
        the files that were (with `dry_run`: would be) transferred. `atomic`: each file must
        replace the old one in a single step (the feeds), never be seen half-written."""
        ...

    def delete(self, files: Sequence[str], dry_run: bool) -> None:
        """Delete `files` (relative paths) at the target; files already gone are fine."""
        ...

    def uploaded(self) -> list[str]:
        """The names in the target's upload folder (files sent whole, not yet in place)."""
        ...

    def upload(self, source: Path, name: str) -> None:
        """Send the file `name` of `source` whole into the upload folder, not yet in place
        (a delivery notes its intent, then calls `move_into_place`)."""
        ...

    def move_into_place(self, name: str) -> None:
        """Rename `name` from the upload folder to its place, on the target, in one step."""
        ...

    def close(self) -> None:
        """End what the transport keeps open (a shared ssh connection)."""
        ...


@dataclass
class Session:
    """What every transfer of one publish shares: a private folder for file lists and the ssh
    connection's socket (mode 0700, unpredictable name), the lock descriptor the transfers
    hold while they live, and whether files are sent whatever the target has."""

    folder: Path
    lock_descriptor: int
    resend: bool = False  # send every file, whatever the target has under its name
    _lists: int = field(default=0, init=False)

    def file_list(self, files: Sequence[str], separator: bytes = b"\0") -> str:
        """A file listing relative paths (NUL-separated by default: no name can break that)."""
        self._lists += 1
        path = self.folder / f"list-{self._lists}"
        path.write_bytes(b"".join(name.encode() + separator for name in files))
        return str(path)

    def run(
        self, command: list[str], tool: str, what: str, timeout: float = TRANSFER_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        """Run a transfer tool tied to this publish; a failure names `what` and the fix."""
        try:
            return run(
                command,
                what,
                tool,
                timeout=timeout,
                hint=INSTALL_HINT[tool],
                tied=[self.lock_descriptor],
            )
        except ToolError as error:
            text = str(error)
            for words, fix in _FIXES:
                if words in text:
                    raise ToolError(f"{text} ({fix})") from error
            raise


def transport_for(name: str, target: PublishTarget, show_root: Path, session: Session) -> Transport:
    """The transport of the target `name` as podcast.toml describes it."""
    if target.kind == "rclone":
        assert target.remote is not None
        return Rclone(target.remote, session, target.bandwidth_limit_kib)
    assert target.path is not None
    if target.kind == "folder":
        folder = Path(target.path).expanduser()
        if not folder.is_absolute():
            folder = show_root / folder
        description = f"the folder {folder}"
        return Rsync(
            str(folder).rstrip("/") + "/", description, None, session, target.bandwidth_limit_kib
        )
    assert target.host is not None
    shell = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=30"]
    shell += ["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"]
    # One connection for the rsync runs of this publish only: its socket lives in the
    # publish's private folder (never in the shared /tmp, never reused by the next publish).
    shell += ["-o", "ControlMaster=auto", "-o", f"ControlPath={session.folder}/ssh-%C"]
    # Lives on only seconds after the last transfer: a killed publish leaves no connection.
    shell += ["-o", "ControlPersist=5"]
    if target.port:
        shell += ["-p", str(target.port)]
    if target.ssh_config:
        config = Path(target.ssh_config).expanduser()
        shell += ["-F", str(config if config.is_absolute() else show_root / config)]
    destination = f"{target.host}:{target.path.rstrip('/')}/"
    return Rsync(destination, f"{name} ({destination})", shell, session, target.bandwidth_limit_kib)


@dataclass
class Rsync:
    """rsync into `destination` (`host:folder/` over ssh with `shell`, or a local `folder/`).

    Files are sent whole-file checked into `.podcast-upload/` at the target and renamed into
    place when complete; a killed rsync leaves its partial files only there.
    """

    destination: str
    description: str
    shell: list[str] | None
    session: Session
    bandwidth_limit_kib: int | None = None

    def local_folder(self) -> Path | None:
        return Path(self.destination) if self.shell is None else None

    def _base(self, dry_run: bool = False) -> list[str]:
        command = ["rsync", "--recursive", "--links", "--times", "--from0", "--protect-args"]
        command.append(f"--timeout={IO_TIMEOUT_S}")
        if self.bandwidth_limit_kib:
            command.append(f"--bwlimit={self.bandwidth_limit_kib}")
        if self.shell is not None:
            command += ["--rsh", " ".join(shlex.quote(part) for part in self.shell)]
            if shutil.which("ssh") is None:
                raise PodcastError(f"{self.description}: {INSTALL_HINT['ssh']}")
        return [*command, "--dry-run"] if dry_run else command

    def _skeleton(self, folders: Sequence[str]) -> Path:
        """An empty local tree with these folders, as the source of deletions."""
        skeleton = self.session.folder / "skeleton"
        shutil.rmtree(skeleton, ignore_errors=True)
        for folder in (UPLOAD_FOLDER, *folders):
            (skeleton / folder).mkdir(parents=True, exist_ok=True)
        return skeleton

    def listing(self) -> list[str] | None:
        if self.shell is None:
            folder = Path(self.destination)
            return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None
        return self._names(self.destination)

    def _names(self, folder: str) -> list[str] | None:
        """The names in a folder at the target (None: there is none)."""
        try:
            result = self.session.run(
                [*self._base(), "--list-only", "--no-recursive", "--dirs", folder],
                "rsync",
                self.description,
                QUICK_TIMEOUT_S,
            )
        except ToolError as error:
            if "No such file or directory" in str(error):
                return None
            raise
        names = [line.split(None, 4)[-1] for line in result.stdout.splitlines() if line.strip()]
        return sorted(n for n in names if n not in (".", ".."))

    def fetch(self, name: str) -> bytes | None:
        copy = self.session.folder / "fetched"
        copy.unlink(missing_ok=True)
        try:
            self.session.run(
                [*self._base(), self.destination + name, str(copy)],
                "rsync",
                self.description,
                QUICK_TIMEOUT_S,
            )
        except ToolError:
            return None
        return copy.read_bytes() if copy.is_file() else None

    def prepare(self, dry_run: bool) -> None:
        # The upload folder is created (rsync needs it to exist) and emptied of partial files;
        # nothing else at the target is looked at.
        skeleton = self._skeleton([])
        rules = self.session.file_list([f"+ /{UPLOAD_FOLDER}/***", "- *"])
        command = [*self._base(dry_run), "--delete", "--filter", f"merge {rules}"]
        self.session.run([*command, f"{skeleton}/", self.destination], "rsync", self.description)

    def send(
        self, source: Path, files: Sequence[str], dry_run: bool, atomic: bool = False
    ) -> list[str]:
        # Versioned names: what is there under the name (same size and time) is this file; a
        # resumed publish sends only what is missing. Every other file was chosen by its
        # digest and is sent whatever is there: two builds in one second can leave a changed
        # feed with the same size and time.
        versioned = [name for name in files if is_versioned(name)]
        in_place = [name for name in files if not is_versioned(name)]
        sent: list[str] = []
        for part, again in ((versioned, self.session.resend), (in_place, True)):
            if not part:
                continue
            listing = self.session.file_list(part)
            command = [*self._base(dry_run), "--files-from", listing]
            if not dry_run:  # a dry run created no upload folder
                command += ["--temp-dir", UPLOAD_FOLDER]
            if again:
                command.append("--ignore-times")
            command += ["--out-format", "sent %n"]
            result = self.session.run(
                [*command, f"{source}/", self.destination], "rsync", self.description
            )
            lines = (line.removeprefix("sent ") for line in result.stdout.splitlines())
            sent += [name for name in lines if name and not name.endswith("/")]
        return sent

    def delete(self, files: Sequence[str], dry_run: bool) -> None:
        if not files:
            return
        # Each listed file is missing from an empty tree that has its folders, so rsync
        # deletes it at the target (a folder missing from the build is no error).
        folders = sorted({str(Path(name).parent) for name in files} - {"."})
        skeleton = self._skeleton(folders)
        listing = self.session.file_list(files)
        command = [*self._base(dry_run), "--delete-missing-args", "--files-from", listing]
        self.session.run([*command, f"{skeleton}/", self.destination], "rsync", self.description)

    def uploaded(self) -> list[str]:
        if self.shell is None:
            folder = Path(self.destination) / UPLOAD_FOLDER
            return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        return self._names(self.destination + UPLOAD_FOLDER + "/") or []

    def upload(self, source: Path, name: str) -> None:
        # rsync writes `.name.XXXXXX` in the upload folder and renames it to `name` there.
        listing = self.session.file_list([name])
        command = [*self._base(), "--files-from", listing, "--ignore-times"]
        target = self.destination + UPLOAD_FOLDER + "/"
        self.session.run([*command, f"{source}/", target], "rsync", self.description)

    def move_into_place(self, name: str) -> None:
        if self.shell is None:
            folder = Path(self.destination)
            os.replace(folder / UPLOAD_FOLDER / name, folder / name)
            return
        host, _, path = self.destination.partition(":")
        # A command over ssh starts in the home folder, where rsync's `~/` points too (quoted,
        # the shell would not expand it).
        path = "." if path in ("", "~", "~/") else path.removeprefix("~/")
        moved = shlex.quote(f"{UPLOAD_FOLDER}/{name}")
        command = f"cd {shlex.quote(path)} && mv -f -- {moved} {shlex.quote(name)}"
        self.session.run([*self.shell, host, command], "ssh", self.description, QUICK_TIMEOUT_S)

    def close(self) -> None:
        if self.shell is None:
            return
        host = self.destination.split(":", 1)[0]
        # Ends the shared connection; harmless when there is none.
        subprocess.run(
            [*self.shell, "-O", "exit", host],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )


@dataclass
class Rclone:
    """rclone into `remote` (`name:path`; the remote's settings and credentials stay in
    rclone's configuration or its RCLONE_CONFIG_* environment variables).

    Many remotes (WebDAV, S3) write a file in place while it uploads: versioned files go
    straight to their new names (no feed names them yet), every other file is sent whole to
    `.podcast-upload/` and moved into place on the server.
    """

    remote: str
    session: Session
    bandwidth_limit_kib: int | None = None

    @property
    def description(self) -> str:
        return f"the rclone remote {self.remote}"

    def local_folder(self) -> Path | None:
        # `:local:path`, or a remote of type local defined in the environment (a remote of
        # rclone's configuration file is not looked into).
        if self.remote.startswith(":local:"):
            return Path(self.remote.removeprefix(":local:") or "/").absolute()
        name, _, path = self.remote.partition(":")
        if os.environ.get(f"RCLONE_CONFIG_{name.upper()}_TYPE", "") == "local":
            return Path(path or "/").absolute()
        return None

    def _path(self, name: str = "") -> str:
        return f"{self.remote.rstrip('/')}/{name}" if name else self.remote

    def _base(self, command: str, dry_run: bool = False) -> list[str]:
        base = ["rclone", command, "--retries", "2", "--low-level-retries", "3"]
        base += ["--contimeout", "15s", "--timeout", f"{IO_TIMEOUT_S}s", "--retries-sleep", "2s"]
        if self.bandwidth_limit_kib:
            base += ["--bwlimit", f"{self.bandwidth_limit_kib}k"]
        return [*base, "--dry-run"] if dry_run else base

    def listing(self) -> list[str] | None:
        try:
            result = self.session.run(
                [*self._base("lsf"), "--max-depth", "1", self.remote],
                "rclone",
                self.description,
                QUICK_TIMEOUT_S,
            )
        except ToolError as error:
            if "directory not found" in str(error):
                return None
            raise
        return sorted(line.rstrip("/") for line in result.stdout.splitlines() if line.strip())

    def fetch(self, name: str) -> bytes | None:
        try:
            command = [*self._base("cat"), self._path(name)]
            result = self.session.run(command, "rclone", self.description, QUICK_TIMEOUT_S)
        except ToolError:
            return None
        return result.stdout.encode()

    def prepare(self, dry_run: bool) -> None:
        if not dry_run and UPLOAD_FOLDER in (self.listing() or []):
            command = [*self._base("delete"), self._path(UPLOAD_FOLDER)]
            self.session.run(command, "rclone", self.description)

    def send(
        self, source: Path, files: Sequence[str], dry_run: bool, atomic: bool = False
    ) -> list[str]:
        if not files:
            return []
        sent: list[str] = []
        # Versioned names: what is there with the right size is this file (a resumed publish
        # sends only what is missing or cut short).
        versioned = [name for name in files if is_versioned(name)]
        if versioned:
            again = ["--ignore-times"] if self.session.resend else []
            sent += self._copy(source, versioned, dry_run, again)
        # Other names change content in place: always sent; the feeds under a temporary name
        # first, then moved into place on the server.
        in_place = [name for name in files if not is_versioned(name)]
        if in_place and (dry_run or not atomic):
            sent += self._copy(source, in_place, dry_run, ["--ignore-times"])
            in_place = []
        for name in in_place:
            temporary = self._path(f"{UPLOAD_FOLDER}/{name.replace('/', '%')}")
            self.session.run(
                [*self._base("copyto"), "--ignore-times", str(source / name), temporary],
                "rclone",
                self.description,
            )
            self.session.run(
                # --ignore-times: a file of the same size there is no reason to keep it.
                [*self._base("moveto"), "--ignore-times", temporary, self._path(name)],
                "rclone",
                self.description,
                QUICK_TIMEOUT_S,
            )
            sent.append(name)
        return sent

    def _copy(
        self, source: Path, files: Sequence[str], dry_run: bool, options: list[str]
    ) -> list[str]:
        # rclone reads lists by line; the loader lets no line break into a published name.
        listing = self.session.file_list(files, b"\n")
        command = [*self._base("copy", dry_run), "--no-traverse", "--files-from-raw", listing]
        command += [*options, "-v"]
        result = self.session.run([*command, str(source), self.remote], "rclone", self.description)
        return sorted(set(_RCLONE_COPIED.findall(result.stderr)))

    def delete(self, files: Sequence[str], dry_run: bool) -> None:
        if not files:
            return
        listing = self.session.file_list(files, b"\n")
        command = [*self._base("delete", dry_run), "--files-from-raw", listing]
        self.session.run([*command, self.remote], "rclone", self.description)

    def uploaded(self) -> list[str]:
        try:
            result = self.session.run(
                [*self._base("lsf"), "--max-depth", "1", self._path(UPLOAD_FOLDER)],
                "rclone",
                self.description,
                QUICK_TIMEOUT_S,
            )
        except ToolError as error:
            if "directory not found" in str(error):
                return []
            raise
        return sorted(line.rstrip("/") for line in result.stdout.splitlines() if line.strip())

    def upload(self, source: Path, name: str) -> None:
        temporary = self._path(f"{UPLOAD_FOLDER}/{name}")
        command = [*self._base("copyto"), "--ignore-times", str(source / name), temporary]
        self.session.run(command, "rclone", self.description)

    def move_into_place(self, name: str) -> None:
        temporary = self._path(f"{UPLOAD_FOLDER}/{name}")
        command = [*self._base("moveto"), "--ignore-times", temporary, self._path(name)]
        self.session.run(command, "rclone", self.description, QUICK_TIMEOUT_S)

    def close(self) -> None:
        pass
