"""What an outside tester found in this round's publish and input handling, each as a case."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from podcast.build import BuildReport, build
from podcast.errors import PodcastError
from podcast.publish.remote import publish_build
from podcast.show.loader import load_show

from .helpers import edit, refused, run_cli, tree_bytes

EP1 = "episodes/01-leipzig-migrantenbeirat"
TITLE = 'title: "Leipzig: Der Migrantenbeirat und die anderen Beiräte"'


def test_yaml_binary_values_and_non_decimal_numbers_are_refused(demo: Path) -> None:
    episode = demo / EP1 / "episode.md"
    plain = episode.read_text(encoding="utf-8")
    # ESC ] 0 ; T BEL NUL: a window title and a NUL, hidden in base64.
    edit(episode, TITLE, "title: !!binary QRtdMDtUBwBC")
    assert "episode.md:2: a binary value (!!binary): front matter takes text" in refused(demo)
    page = demo / "pages" / "a.md"
    page.write_text("---\ntitle: !!binary QRtdMDtUBwBC\n---\nx\n", encoding="utf-8")
    assert "a.md:2: a binary value (!!binary)" in refused(demo)
    page.unlink()
    for number in ("1:30", "0x10", "99999999999999999999999"):
        episode.write_text(plain.replace("number: 1", f"number: {number}"), encoding="utf-8")
        assert re.search(r"episode\.md:\d+: number:", refused(demo)), number
    # A time written the same way is still a time.
    episode.write_text(plain.replace('start: "00:12"', "start: 0:14"), encoding="utf-8")
    (first, *_) = load_show(demo).episodes
    assert [c.start for c in first.chapters][:2] == [0.0, 14.0]


@pytest.mark.parametrize(
    "address", ["https://p.test/?a=1#x", "https://p.test/s/#top", 'https://p.test/\\"x/']
)
def test_a_base_url_with_a_query_fragment_or_quote_is_refused(demo: Path, address: str) -> None:
    edit(demo / "podcast.toml", "https://podcast.example.org/quer-durch-die-gremien/", address)
    assert "base_url: must be an address without ?query, #fragment or quotes" in refused(demo)


def test_a_chapter_picture_too_large_for_a_page_is_refused(demo: Path) -> None:
    picture = demo / EP1 / "gross.png"
    noise = Image.effect_noise((2000, 1300), 120).convert("RGB")  # does not compress
    noise.save(picture)
    assert picture.stat().st_size > 5_000_000
    edit(
        demo / EP1 / "episode.md",
        "    title: Delegierte in den anderen Beiräten",
        "    title: Delegierte in den anderen Beiräten\n    img: gross.png",
    )
    assert "chapters[1].img: " in refused(demo) and "MB is too large" in refused(demo)


def test_warnings_show_control_characters_in_file_names_escaped(demo: Path) -> None:
    (demo / EP1 / "take2\x1b]2;HACKED\x07.flac").write_bytes(b"")
    result = run_cli("check", str(demo))
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "take2\\x1b]2;HACKED\\x07.flac" in result.stderr


def test_a_home_folder_is_no_empty_target(cached_demo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".bashrc").write_text("# mine")
    edit(
        cached_demo / "podcast.toml",
        "[audio]",
        f'[publish.home]\nkind = "folder"\npath = "{home}"\n\n[audio]',
    )
    build(cached_demo)
    with pytest.raises(PodcastError, match=r"holds files that no publish .*\.bashrc"):
        publish_build(cached_demo)
    assert sorted(p.name for p in home.iterdir()) == [".bashrc", ".config"]


def test_a_failed_check_over_http_is_repeated_by_the_next_publish(
    cached_demo: Path, tmp_path: Path
) -> None:
    from .test_publish import free_port, serve_folder

    www = tmp_path / "www"
    www.mkdir()
    down = f"http://127.0.0.1:{free_port()}/"  # nothing answers there
    edit(
        cached_demo / "podcast.toml",
        "[audio]",
        f'[publish.web]\nkind = "folder"\npath = "{www}"\nverify_url = "{down}"\n\n[audio]',
    )
    build(cached_demo)
    first = publish_build(cached_demo)
    assert first.verified and first.has_problems
    again = publish_build(cached_demo)  # nothing changed, but the last check failed
    assert again.unchanged and again.verified and again.has_problems
    server, url = serve_folder(www)
    try:
        toml = cached_demo / "podcast.toml"
        toml.write_text(toml.read_text().replace(down, url))
        passed = publish_build(cached_demo)
        assert passed.unchanged and passed.verified and not passed.has_problems
        assert not publish_build(cached_demo).verified  # checked and fine: not again
    finally:
        server.shutdown()
    assert tree_bytes(www)


def test_a_file_name_that_is_not_utf8_does_not_break_the_build(cached_demo: Path) -> None:
    stray = bytes(cached_demo / "episodes/02-frankfurt-kav") + b"/bad\xffname.txt"
    with open(stray, "wb") as handle:
        handle.write(b"a note")
    result = run_cli("build", str(cached_demo))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("number: 1", "number: true", "number: must be a whole number, not true or false"),
        (
            "https://podcast.example.org/quer-durch-die-gremien/",
            "https://u:p@podcast.example.org/q/",
            "base_url: must not carry a user name or password",
        ),
        (
            "https://podcast.example.org/quer-durch-die-gremien/",
            "https://podcast.example.org:99999/q/",
            "base_url: has a port that does not exist",
        ),
    ],
)
def test_truth_values_as_numbers_and_addresses_with_a_password_or_no_port_are_refused(
    demo: Path, field: str, value: str, message: str
) -> None:
    where = demo / (EP1 + "/episode.md" if field.startswith("number") else "podcast.toml")
    edit(where, field, value)
    assert message in refused(demo)


# The second outside round (new features: import, transcription, the site's search, init).


@pytest.mark.parametrize("title", ["Mic 🎙 Show", "日本語のポッドキャスト"])
def test_init_draws_a_cover_for_any_title(tmp_path: Path, title: str) -> None:
    """A title with an emoji or Japanese letters crashed init (NameError in the fallback font)
    and left a half-made show behind."""
    done = run_cli(
        "init", str(tmp_path / "show"), "--title", title, "--author", "A", "--language", "de",
        "--base-url", "https://i.example.net/", "--email", "a@example.net",
        "--timezone", "Europe/Berlin",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with Image.open(tmp_path / "show/cover.jpg") as cover:
        assert cover.size[0] == cover.size[1] >= 1400
    assert (tmp_path / "show/.gitignore").is_file()


def test_the_search_keeps_words_apart_across_line_breaks(built_demo: BuildReport) -> None:
    """The notes' line breaks glued words together in the search index ("mitMigrations...")."""
    page = (built_demo.out / "search.html").read_text(encoding="utf-8")
    assert "mit Migrationsgeschichte" in page
    assert not re.search(r"mitMigrationsgeschichte|dieanderen|zuwichtigen", page)


@pytest.mark.parametrize("title", ["x" * 300, "   ", "Tab\there", "Glocke\x07"])
def test_new_refuses_titles_the_loader_would_refuse(demo: Path, title: str) -> None:
    """`podcast new` wrote episodes that `check` then refused (too long, blank, control
    characters making invalid YAML)."""
    from podcast.scaffold import new_episode

    before = sorted((demo / "episodes").iterdir())
    with pytest.raises(PodcastError, match="the title cannot be used"):
        new_episode(demo, title, "de", "Europe/Berlin")
    assert sorted((demo / "episodes").iterdir()) == before


def test_each_unusable_picture_of_a_line_is_named(demo: Path) -> None:
    """Two bad pictures in one line of notes gave two identical "not an image" lines."""
    episode = demo / "episodes/01-leipzig-migrantenbeirat"
    (episode / "plan.png").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (episode / "foto.jpg").write_bytes(b"\0" * 1000)
    source = episode / "episode.md"
    source.write_text(
        source.read_text(encoding="utf-8") + "\n![Der Plan](plan.png) ![Das Foto](foto.jpg)\n",
        encoding="utf-8",
    )
    said = refused(demo)
    assert "notes: plan.png: not an image" in said, said
    assert "notes: foto.jpg: not an image" in said, said


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # Every episode delivered as same.wav: the second replaced the first in the drop box.
        ('file_name = "{date:%Y%m%d}_{show}_{number:03d}"', 'file_name = "same"', "the same name"),
        ('cut_id = "QDG{number:03d}"', 'cut_id = "KKKKKKKK"', "the same name"),
        # A width that took 1.1 GB and a 100 MB message before.
        ('cut_id = "QDG{number:03d}"', 'cut_id = "{number:099999999d}"', "is over 99"),
        # A name that passed check and broke the build ("File name too long").
        ("[partners.radioblau]\n", f"[partners.{'L' * 300}]\n", "at most 64"),
    ],
)
def test_partner_names_and_patterns_that_cannot_work_are_refused(
    demo: Path, old: str, new: str, expected: str
) -> None:
    edit(demo / "podcast.toml", old, new)
    if "L" * 300 in new:
        edit(
            demo / "podcast.toml",
            "[partners.radioblau.delivery]",
            f"[partners.{'L' * 300}.delivery]",
        )
    said = refused(demo)
    assert expected in said, said
    assert len(said) < 2000, len(said)


def test_a_show_folder_that_does_not_exist_is_named_not_the_show_around_it(demo: Path) -> None:
    """A typo in SHOW_DIR inside a show used to build (or publish) the show around it."""
    typo = demo / "episodes" / "01-leipzig-migrantenbeirt"
    for command in ("check", "build", "publish"):
        result = run_cli(command, str(typo))
        assert result.returncode == 2, command
        assert f"there is no folder {typo}" in result.stderr
    assert not (demo / "feed").exists()


def test_init_on_a_terminal_asks_again_for_a_refused_address_and_keeps_the_answers(
    tmp_path: Path,
) -> None:
    """`podcast init` on a terminal: a refused address or e-mail is asked again at once; the
    answers given before it stay (they were lost with the whole run before)."""
    import os
    import pty
    import subprocess
    import sys
    import time

    controller, terminal = pty.openpty()
    folder = tmp_path / "show"
    process = subprocess.Popen(
        [sys.executable, "-m", "podcast", "init", str(folder), "--timezone", "Europe/Berlin"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    answers = iter(
        [
            "Stadtgespräche",
            "Radio Blau",
            "",
            "radioblau.example",
            "https://radioblau.example/p/",
            "nobody",
            "redaktion@radioblau.example",
        ]
    )
    heard = b""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        heard += chunk
        if heard.endswith(b": "):  # click ends a question so
            answer = next(answers, None)
            if answer is None:
                break
            os.write(controller, answer.encode() + b"\n")
            heard += b"\n"
    process.wait(timeout=30)
    os.close(controller)
    said = heard.decode(errors="replace")
    assert process.returncode == 0, said
    assert "must be a web address" in said and "must be an e-mail address" in said
    text = (folder / "podcast.toml").read_text(encoding="utf-8")
    assert 'title = "Stadtgespräche"' in text and "https://radioblau.example/p/" in text
    assert "redaktion@radioblau.example" in text
