"""Hostile files (issue 23): nothing from outside the show is published, no public file names
an episode under embargo, broken themes, answers, cache records and pictures are refused with
file, line and fix, `podcast info` cannot write escape sequences to the terminal."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from podcast.build import build
from podcast.errors import PodcastError
from podcast.publish.output_folder import check_output_folder
from podcast.publish.remote import check_local_target, publish_build, publish_status
from podcast.scaffold import init_show
from podcast.show.loader import load_show

from .helpers import edit, refused, run_cli, tree_bytes

EP1 = "episodes/01-leipzig-migrantenbeirat"
EP3 = "episodes/03-zu-gast-im-jugendbeirat"
SECRET = "root:x:0:0:SECRET-OUTSIDE-THE-SHOW"
OUTSIDE_FIX = "copy the file into the show folder instead of linking to it"


def outside_file(tmp_path: Path, name: str, text: str = SECRET) -> Path:
    path = tmp_path / "elsewhere" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


# --- 1. every file the build reads lies inside the show ---------------------------------------


def test_links_out_of_the_show_are_refused_for_pages_and_theme_files(
    demo: Path, tmp_path: Path
) -> None:
    (demo / "pages/passwd.md").symlink_to(outside_file(tmp_path, "passwd"))
    (demo / "templates/style.css").unlink()
    (demo / "templates/style.css").symlink_to(outside_file(tmp_path, "style.css", "body{}"))
    (demo / "templates/lang/de.toml").rename(tmp_path / "elsewhere/de.toml")
    (demo / "templates/lang/de.toml").symlink_to(tmp_path / "elsewhere/de.toml")
    (demo / "templates/partials").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (demo / "templates/loop").symlink_to("../templates", target_is_directory=True)
    message = refused(demo)
    for name in ("passwd.md", "style.css", "lang/de.toml", "partials"):
        where = f"{'pages' if name == 'passwd.md' else 'templates'}/{name}"
        assert f"{where}: is a link to a file outside the show folder ({OUTSIDE_FIX})" in message
    assert SECRET not in message and "partials/" not in message  # the folder, not each file


def test_a_theme_folder_or_page_picture_linked_from_outside_is_refused(
    demo: Path, tmp_path: Path
) -> None:
    theme = tmp_path / "elsewhere-theme"
    shutil.move(demo / "templates", theme)
    (demo / "templates").symlink_to(theme, target_is_directory=True)
    picture = tmp_path / "photo.png"
    Image.new("RGB", (20, 20)).save(picture)
    (demo / "pages/photo.png").symlink_to(picture)
    with (demo / "pages/impressum.md").open("a", encoding="utf-8") as page:
        page.write("\n![Ein Foto](photo.png)\n")
    message = refused(demo)
    assert f"templates: is a link to a file outside the show folder ({OUTSIDE_FIX})" in message
    assert "impressum.md:" in message and "'photo.png' is a link to a file outside" in message


def test_recordings_and_episode_files_keep_the_same_rule(demo: Path, tmp_path: Path) -> None:
    recording = demo / EP1 / "interview-leipzig.flac"
    moved = tmp_path / "outside.flac"
    shutil.move(recording, moved)
    recording.symlink_to(moved)
    message = refused(demo)
    assert "recordings[0].file: 'interview-leipzig.flac' is a link to a file outside" in message
    assert OUTSIDE_FIX in message


def test_a_page_linked_to_a_secret_is_not_published_through_the_cli(
    cached_demo: Path, tmp_path: Path
) -> None:
    (cached_demo / "pages/passwd.md").symlink_to(outside_file(tmp_path, "passwd"))
    result = run_cli("build", str(cached_demo))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "pages/passwd.md: is a link to a file outside the show folder" in result.stderr
    out = cached_demo / "feed"
    assert not out.exists() or all(SECRET.encode() not in b for b in tree_bytes(out).values())


def test_a_readme_in_the_output_folder_linked_elsewhere_is_not_published(
    cached_demo: Path, tmp_path: Path
) -> None:
    out = build(cached_demo).out
    (out / "README.md").symlink_to(outside_file(tmp_path, "README.md"))
    with (cached_demo / EP1 / "episode.md").open("a", encoding="utf-8") as notes:
        notes.write("\nNeu.\n")
    build(cached_demo)
    assert not (out / "README.md").exists()
    assert all(SECRET.encode() not in data for data in tree_bytes(out).values())


# --- 13. broken theme language files and templates ----------------------------------------------


def test_broken_theme_language_files_and_templates_are_named_with_line_and_fix(
    demo: Path,
) -> None:
    (demo / "templates/lang/fr.toml").write_text('episode = "Épisode"\nnext = \n')
    (demo / "templates/lang/en.toml").write_text('episode = 3\nroles = "host"\n')
    (demo / "templates/page.html").write_text('{% extends "base.html" %}\n{% block main %}\n')
    (demo / "templates/extra.html").write_bytes(b"ok\n\xff\n")
    message = refused(demo)
    assert "templates/lang/fr.toml:2: not valid TOML: Invalid value" in message
    assert 'fix the syntax: one `key = "words"` per line' in message
    assert "templates/lang/en.toml:1: episode: should be words in quotes" in message
    assert "templates/lang/en.toml:2: roles: should be a table of words (write it as [roles])" in (
        message
    )
    assert "templates/page.html:2: not a valid template: Unexpected end of template" in message
    assert "the packaged theme's file of the same name shows how" in message
    assert "templates/extra.html:2: not valid UTF-8 (save the file as UTF-8)" in message


def test_a_broken_template_is_refused_by_check_through_the_cli(demo: Path) -> None:
    (demo / "templates/index.html").write_text("{% for x in %}\n")
    result = run_cli("check", str(demo))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "templates/index.html:1: not a valid template: Expected an expression" in (result.stderr)


def test_templates_failing_while_rendering_are_named_and_sandboxed(cached_demo: Path) -> None:
    page = cached_demo / "templates/page.html"
    original = page.read_text(encoding="utf-8")
    cases = {
        "{{ no_such_value }}": "'no_such_value' is undefined",
        "{{ show | no_such_filter }}": "No filter named 'no_such_filter'",
        "{{ show.__class__.__mro__ }}": "access to attribute '__class__' of 'ShowConfig' object "
        "is unsafe",
    }
    for expression, problem in cases.items():
        page.write_text(original.replace("{% block main %}\n", "{% block main %}\n" + expression))
        with pytest.raises(PodcastError) as caught:
            build(cached_demo)
        line = original.split("{% block main %}")[0].count("\n") + 2
        assert f"templates/page.html:{line}: the template failed: {problem}" in str(caught.value)
        assert not (cached_demo / "feed").exists()


# --- 16. page names that slug alike -----------------------------------------------------------


def test_pages_whose_names_become_one_url_are_refused_with_both_names(demo: Path) -> None:
    (demo / "pages/Über uns.md").write_text("# Über uns\n\nWir.\n", encoding="utf-8")
    (demo / "pages/ueber-uns.md").write_text("# Über uns\n\nAuch wir.\n", encoding="utf-8")
    (demo / "pages/Impressum.md").write_text("# Noch eins\n", encoding="utf-8")
    message = refused(demo)
    assert (
        "pages/Über uns.md: 'Über uns.md' and 'ueber-uns.md' would both be published as "
        "ueber-uns.html (rename one of them)" in message
    )
    assert "'impressum.md' and 'Impressum.md'" in message or (
        "'Impressum.md' and 'impressum.md'" in message
    )


# --- 17. pictures: a pixel limit, and web-sized copies ------------------------------------------


def test_pictures_over_the_pixel_limit_are_refused_in_notes_and_pages(demo: Path) -> None:
    # 10000 x 10000: 1.2 MB on disk as a one-bit PNG, 381 MiB once a browser decodes it.
    Image.new("1", (10000, 10000)).save(demo / EP1 / "bomb.png")
    Image.new("1", (10000, 10000)).save(demo / "pages/bomb.png")
    with (demo / EP1 / "episode.md").open("a", encoding="utf-8") as notes:
        notes.write("\n![Ein Plakat](bomb.png)\n")
    with (demo / "pages/impressum.md").open("a", encoding="utf-8") as page:
        page.write("\n![Ein Plakat](bomb.png)\n")
    message = refused(demo)
    expected = (
        "notes: bomb.png: the picture is 10000x10000 px; pictures may have at most 40 "
        "megapixels "
        "(scale it down (a web page shows at most 1600 px on the longest side)"
    )
    assert f"{EP1}/episode.md:" in message and expected in message
    assert re.search(r"pages/impressum\.md:\d+: bomb\.png: the picture is 10000x1", message)


def test_large_pictures_are_published_web_sized_with_their_size_and_deterministically(
    cached_demo: Path, tmp_path: Path
) -> None:
    photo = Image.radial_gradient("L").resize((3000, 2000)).convert("RGB")
    photo.save(cached_demo / EP1 / "saal.jpg", quality=90)
    small = Image.new("RGB", (400, 300), (200, 30, 30))
    small.save(cached_demo / EP1 / "klein.png")
    Image.radial_gradient("L").resize((1200, 2400)).save(cached_demo / "pages/karte.png")
    with (cached_demo / EP1 / "episode.md").open("a", encoding="utf-8") as notes:
        notes.write("\n![Der Saal](saal.jpg)\n\n![Klein](klein.png)\n")
    with (cached_demo / "pages/impressum.md").open("a", encoding="utf-8") as page:
        page.write("\n![Die Karte](karte.png)\n")
    out = build(cached_demo).out
    files = tree_bytes(out)
    pictures = {name: data for name, data in files.items() if name.startswith("images/")}
    sizes = []
    for name in pictures:
        with Image.open(out / name) as picture:
            sizes.append((picture.format, picture.size))
    # Narrower copies for phones beside the web-sized ones (issue 27).
    assert sorted(sizes) == [
        *[("JPEG", (480, 320)), ("JPEG", (960, 640)), ("JPEG", (1600, 1067))],
        *[("PNG", (400, 300)), ("PNG", (480, 960)), ("PNG", (800, 1600))],
    ]
    klein = next(name for name in pictures if name.endswith(".png") and "impressum" not in name)
    assert files[klein] == (cached_demo / EP1 / "klein.png").read_bytes()  # small: as it is
    page = files["episodes/01-leipzig-migrantenbeirat.html"].decode()
    assert re.search(
        r'<img src="[^"]+\.jpg" srcset="[^"]+" sizes="[^"]+" width="1600" height="1067"', page
    )
    assert re.search(r'<img src="[^"]+\.png" width="400" height="300" loading="lazy"', page)
    impressum = files["impressum.html"].decode()
    assert re.search(
        r'<img src="images/impressum-[0-9a-f]+\.png" srcset="[^"]+" sizes="[^"]+"'
        r' width="800" height="1600"',
        impressum,
    )
    again = build(cached_demo, tmp_path / "again").out
    assert {n: d for n, d in tree_bytes(again).items() if n.startswith("images/")} == pictures


# --- 8. episodes under embargo or held back are named in no public file ------------------------


def test_no_public_file_names_an_episode_under_embargo_or_held_back(cached_demo: Path) -> None:
    edit(
        cached_demo / EP3 / "episode.md",
        "date: 2026-11-05T18:00:00+01:00",
        "date: 2026-11-05T18:00:00+01:00\nradio_release: 2026-10-15T18:00:00+02:00",
    )
    draft = cached_demo / "episodes/04-geheim"
    shutil.copytree(cached_demo / EP3, draft)
    text = (draft / "episode.md").read_text(encoding="utf-8")
    text = text.replace('title: "Zu Gast im Jugendbeirat"', 'title: "Geheimer Entwurf"')
    text = text.replace("number: 3", "number: 4").replace("4e03", "4e04")
    text = text.replace("radio_release: 2026-10-15T18:00:00+02:00", "status: draft")
    (draft / "episode.md").write_text(text, encoding="utf-8")
    embargo = datetime(2026, 10, 20, tzinfo=UTC)
    allow = frozenset({"03-zu-gast-im-jugendbeirat"})  # the demo's lock says it was out
    report = build(cached_demo, allow=allow, now=embargo)
    assert (report.radio_only, report.held_back) == (1, 1)
    out = report.out
    # (the GUIDs' last eight digits: four could turn up by chance in compressed audio, as
    # "4e04" once did in an MP3)
    held = ["2c3d4e04", "04-geheim", "Geheimer Entwurf"]
    embargoed = ["2c3d4e03", "03-zu-gast-im-jugendbeirat", "Zu Gast im Jugendbeirat"]
    # (under embargo it goes only into the partners' drop boxes: test_partners_embargo)
    for name, data in tree_bytes(out).items():
        for secret in [*held, *embargoed]:
            assert secret.encode() not in data and secret not in name, (name, secret)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [e["slug"] for e in manifest["episodes"]] == [
        "01-leipzig-migrantenbeirat",
        "02-frankfurt-kav",
    ]
    # The cache still knows every episode of the build, and the GUID guard works on: the day
    # it is due the episode is published, and taking it back is refused.
    assert len(report.episodes) == 3
    due = datetime(2026, 11, 6, tzinfo=UTC)
    assert build(cached_demo, allow=allow, now=due).radio_only == 0
    assert "2c3d4e03" in (out / "manifest.json").read_text(encoding="utf-8")
    edit(cached_demo / EP3 / "episode.md", "\n---\n", "\nstatus: draft\n---\n")
    with pytest.raises(PodcastError, match="was published and is now held back"):
        build(cached_demo, now=due)


# --- 13. podcast init answers, damaged cache records ------------------------------------------


def test_init_answers_with_line_breaks_or_control_characters_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "neu"
    with pytest.raises(PodcastError) as caught:
        init_show(folder, "Titel\nbase_url = 1", "A\x1b]0;x\x07", "de", "https://e.org/", "a@b.de")
    message = str(caught.value)
    assert "neu/podcast.toml: --title: the answer has a line break (give it on one line" in (
        message
    )
    assert "--author: contains the control character U+001B at position 2" in message
    assert not folder.exists()
    result = run_cli(
        "init", str(folder), "--title", "Tab\there", "--author", "a", "--language", "de",
        "--base-url", "https://e.org/", "--email", "a@b.de",
    )  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--title: the answer has a tab" in result.stderr and not folder.exists()


def test_damaged_or_older_cache_records_count_as_missing(
    demo: Path, shared_cache: Path, tmp_path: Path
) -> None:
    # A private copy of the session's renders: this test damages it.
    cache = demo / ".cache/podcast"
    shutil.copytree(shared_cache, cache, symlinks=True)
    published = tmp_path / "site"
    published.mkdir()
    with (demo / "podcast.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[publish.local]\nkind = "folder"\npath = "{published}"\nverify = false\n')
    first = build(demo)
    publish_build(demo)
    damage = {
        "analysis": {"file": "x", "integrated": "loud"},  # an older version's shape
        "render": {"renditions": {"podcast.mp3": {"gain_db": "x"}}, "stamps": 3},
        "builds": {"fingerprint": 1, "files": 5, "episodes": {}, "warnings": None},
        "validated": {"feed.xml": 5},
        "publish": {"files": "all", "removed": [], "runs": [{"when": 1}]},
        "digests": {"a": {"b": 1}},
        "notes": {"x": ["y"]},
    }
    for kind, shape in damage.items():
        records = sorted((cache / kind).glob("*.json"))
        assert records, kind
        if kind in ("analysis", "render"):
            records = records[:1]  # the audio done again costs time: one of each is enough
        for record in records:
            record.write_text(json.dumps(shape))
    with pytest.raises(PodcastError, match="not known to the show's cache; build again"):
        publish_status(demo)
    report = build(demo)
    assert not report.up_to_date and report.files == first.files
    assert publish_status(demo).last_publish is None  # the log is gone, not an error
    publish_build(demo)
    assert tree_bytes(published) == tree_bytes(report.out)
    result = run_cli("build", str(demo))
    assert result.returncode == 0 and "up to date" in result.stdout


# --- 18. podcast info and targets that are not folders -----------------------------------------


def test_info_escapes_control_characters_and_says_what_is_not_a_file(tmp_path: Path) -> None:
    evil = tmp_path / "evil\x1b[31mname.mp3"
    title = "A\x1b]0;PWNED\x07B\x1b]52;c;Zm9v\x07C\x1b[2J\u202e"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-metadata",
         f"title={title}", "-metadata", "artist=x\x9by", str(evil)],
        check=True,
    )  # fmt: skip
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_cli("info", str(evil), str(tmp_path), str(fifo), "/dev/zero", str(tmp_path / "x"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    shown = result.stdout + result.stderr
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", shown), shown
    assert "title = A\\x1b]0;PWNED\\x07B\\x1b]52;c;Zm9v\\x07C\\x1b[2J\\u202e" in shown
    assert "artist = x\\x9by" in shown and "evil\\x1b[31mname.mp3" in shown
    assert f"{tmp_path}: is a folder, not an audio file" in shown
    assert f"{fifo}: is a named pipe (FIFO), not a regular file" not in shown
    assert f"{fifo}: is a named pipe (FIFO), not an audio file" in shown
    assert "/dev/zero: is a device, not an audio file" in shown
    assert f"{tmp_path / 'x'}: no such file" in shown


def test_output_folders_and_folder_targets_that_are_not_folders_are_refused(
    demo: Path, tmp_path: Path
) -> None:
    show = load_show(demo)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "file").write_text("x")
    cases = {
        Path("/dev/null"): "/dev/null is a device, not a folder",
        Path("/dev/null/feed"): "/dev/null is a device, not a folder",
        fifo: f"{fifo} is a named pipe (FIFO), not a folder",
        tmp_path / "file/feed": f"{tmp_path / 'file'} is a file, not a folder",
    }
    for out, message in cases.items():
        with pytest.raises(PodcastError, match=re.escape(message)) as caught:
            check_output_folder(show, out)
        assert "choose a folder with --out" in str(caught.value)
    assert Path("/dev/null").is_char_device()
    for target in (Path("/dev/null"), Path("/dev/null/www"), fifo):
        with pytest.raises(
            PodcastError,
            match=f"{target.parent if target.name == 'www' else target} is a (device|named pipe)",
        ):
            check_local_target(target, "web", demo.resolve())
    assert Path("/dev/null").is_char_device()
