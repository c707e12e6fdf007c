"""Where the partners' files go, checked against each other and against the publish targets:
two partners delivering the same names into one drop box would overwrite each other, and a
drop box inside a publish target's folder would put embargoed files on the public web."""

from __future__ import annotations

import posixpath
from pathlib import Path

from podcast.errors import Problem
from podcast.show.diagnostics import toml_line
from podcast.show.schema import PublishTarget, ShowConfig

Place = tuple[str, str, str]  # (kind, where: host, remote or "", normalised folder)


def place_of(target: PublishTarget, root: Path) -> Place:
    """The place a target writes into: its kind, host (or rclone remote) and folder."""
    if target.kind == "folder":
        assert target.path is not None
        folder = Path(target.path).expanduser()
        folder = folder if folder.is_absolute() else root / folder
        # Through links, as the files would go: a link to the web folder is the web folder.
        return "folder", "", posixpath.normpath(str(folder.resolve()))
    if target.kind == "ssh":
        assert target.host is not None and target.path is not None
        user, at, host = target.host.rpartition("@")
        host = f"{user}{at}{host.lower()}"  # host names are the same in any case
        if target.path.startswith("/"):  # the same folder whoever logs in
            host = host.rsplit("@", 1)[-1]
        # `~/www` is `www`: both are the login's home folder's.
        path = "." if target.path in ("~", "~/") else target.path.removeprefix("~/")
        return "ssh", f"{host}:{target.port or 22}", posixpath.normpath(path)
    assert target.remote is not None
    remote, _, path = target.remote.partition(":")
    return "rclone", remote, posixpath.normpath(path or ".")


def _inside(folder: str, other: str) -> bool:
    """Whether `folder` is `other` or lies inside it."""
    return folder == other or other in (".", "/") or folder.startswith(other.rstrip("/") + "/")


def delivery_problems(config: ShowConfig, root: Path, toml: Path, text: str) -> list[Problem]:
    """Partners sharing a drop box without {partner} in both file names; a partner's drop box
    in (or equal to) a publish target's folder."""
    problems: list[Problem] = []
    seen: dict[Place, str] = {}
    for name, partner in config.partners.items():
        if partner.delivery is None:
            continue
        place = place_of(partner.delivery, root)
        field = f"partners.{name}.delivery"
        line = toml_line(text, ("partners", name, "delivery", "path"))
        other = seen.setdefault(place, name)
        if other != name and not all(
            "{partner" in config.partners[n].file_name for n in (name, other)
        ):
            problems.append(
                Problem(
                    toml,
                    line,
                    field,
                    f"delivers into the same place as partners.{other} "
                    "(files of the same names would overwrite each other)",
                    "put {partner} into both partners' file_name, or give each its own folder",
                )
            )
        for target_name, target in config.publish.items():
            kind, where, folder = place_of(target, root)
            if (kind, where) == place[:2] and _inside(place[2], folder):
                problems.append(
                    Problem(
                        toml,
                        line,
                        field,
                        f"the drop box is inside the folder of publish.{target_name} (the "
                        "public web: an episode under embargo would be published there)",
                        "give the partner a folder outside every publish target",
                    )
                )
    return problems
