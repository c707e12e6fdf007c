"""The editors' day through the command line: a new show, new episodes, warnings and --strict."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest
import yaml
from PIL import Image

from podcast.build import build
from podcast.errors import PodcastError
from podcast.outputs.partners import record_key
from podcast.plan.cache import Cache
from podcast.show.loader import load_show

from .conftest import REPO
from .helpers import built_file, run_cli, tree_bytes

EP1 = "episodes/01-leipzig-migrantenbeirat"
BASE = "https://podcast.example.org/quer-durch-die-gremien/"


def init(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "init",
        str(folder),
        *("--title", 'Unser "Stadtrat"', "--author", "Redaktion Süd", "--language", "de-DE"),
        *("--base-url", "https://podcast.radio-sued.de/stadtrat", "--email", "red@radio-sued.de"),
        *extra,
    )


def test_a_new_show_from_init_to_a_first_build(tmp_path: Path) -> None:
    lost = run_cli("check", cwd=tmp_path)  # no show here yet
    assert lost.returncode == 1 and "start a show with `podcast init`" in lost.stderr
    show = tmp_path / "stadtrat"
    result = init(show)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((show / "podcast.toml").read_text())
    assert config["title"] == 'Unser "Stadtrat"'
    assert config["base_url"] == "https://podcast.radio-sued.de/stadtrat/"
    assert config["owner"] == {"name": "Redaktion Süd", "email": "red@radio-sued.de"}
    with Image.open(show / "cover.jpg") as cover:
        assert cover.size == (3000, 3000) and cover.format == "JPEG"
    assert "feed/" in (show / ".gitignore").read_text()
    # Asked again, or into a folder with files, it refuses and changes nothing.
    again = init(show)
    assert again.returncode == 1 and "a show is here already" in again.stderr
    # From inside the episodes folder, as an editor would.
    inside = show / "episodes"
    made = subprocess.run(
        [sys.executable, "-m", "podcast", "new", "Erste Sitzung: Haushalt"],
        cwd=inside,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    source = show / "episodes/01-erste-sitzung-haushalt/episode.md"
    assert source.is_file() and not (inside / "episodes").exists()
    front = yaml.safe_load(source.read_text().split("---")[1])
    assert front["number"] == 1 and front["guid"].startswith("urn:uuid:")
    assert {"summary", "announcement", "back_announcement", "recordings"} <= set(front)
    shutil.copyfile(REPO / EP1 / "interview-leipzig.flac", source.parent / "interview.wav")
    check = run_cli("check", cwd=source.parent)  # the show is found from the episode folder
    assert check.returncode == 0, check.stderr
    assert "summary: still says TODO" in check.stderr
    assert "announcement: still says TODO" in check.stderr
    strict = run_cli("build", "--strict", cwd=source.parent)
    assert strict.returncode == 1 and "--strict makes warnings errors" in strict.stderr
    assert not (show / "feed").exists()
    text = source.read_text().replace("TODO: ein, zwei Sätze für Podcast-Apps.", "Der Haushalt.")
    text = text.replace("TODO: Shownotes", "Shownotes").replace(">-\n  TODO\n", ">-\n  Gleich.\n")
    source.write_text(text)
    assert "pages/impressum.md: still says TODO" in check.stderr
    for page in (show / "pages").iterdir():
        page.write_text(page.read_text().replace("TODO", "Redaktion Süd, Beispielweg 1"))
    toml = show / "podcast.toml"
    toml.write_text(
        toml.read_text().replace("TODO: what the show is about", "Der Stadtrat")
        + '\n[[hosts]]\nname = "Redaktion Süd"\nrole = "host"\n'
    )
    Image.new("RGB", (1400, 1400), (200, 80, 40)).save(show / "cover.jpg")  # the show's own
    built = run_cli("build", "--strict", cwd=show)
    assert built.returncode == 0, built.stderr
    assert (show / "feed/feed.xml").is_file()


def test_init_checks_the_answers_before_writing(tmp_path: Path) -> None:
    show = tmp_path / "neu"
    result = run_cli(
        "init",
        str(show),
        *("--title", "X", "--author", "Y", "--language", "Deutsch"),
        *("--base-url", "http://insecure.example", "--email", "a@b.de"),
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "podcast.toml:" in result.stderr and "language" in result.stderr
    assert "base_url: must be an https:// URL" in result.stderr
    assert not show.exists() or list(show.iterdir()) == []
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    refused = init(busy)
    assert refused.returncode == 1 and "not empty (notes.txt" in refused.stderr


def test_new_dates_the_episode_in_the_show_time_zone(demo: Path) -> None:
    toml = demo / "podcast.toml"
    toml.write_text('timezone = "America/Sao_Paulo"\n' + toml.read_text())
    result = run_cli("new", "Ein Gast aus Brasilien", "--show-dir", str(demo / "episodes"))
    assert result.returncode == 0, result.stderr
    source = demo / "episodes/04-ein-gast-aus-brasilien/episode.md"
    date_line = next(line for line in source.read_text().splitlines() if line.startswith("date:"))
    assert "-03:00" in date_line and "America/Sao_Paulo" in date_line
    toml.write_text(toml.read_text().replace("America/Sao_Paulo", "Mars/Olympus"))
    bad = run_cli("check", str(demo))
    assert bad.returncode == 1 and "podcast.toml:1: timezone: not a time zone" in bad.stderr


def test_unfinished_content_is_named_and_strict_refuses_it(cached_demo: Path) -> None:
    folder = cached_demo / EP1
    shutil.copyfile(folder / "interview-leipzig.flac", folder / "take-2.flac")
    result = run_cli("check", str(cached_demo))
    assert result.returncode == 0
    assert f"{EP1}/take-2.flac: in the episode folder but not in episode.md" in result.stderr
    assert "base_url: https://podcast.example.org/quer-durch-die-gremien/ is an example" in (
        result.stderr
    )
    strict = run_cli("check", str(cached_demo), "--strict")
    assert strict.returncode == 1 and "take-2.flac" in strict.stderr
    built = run_cli("build", str(cached_demo))
    assert built.returncode == 0 and "take-2.flac" in built.stderr
    # Up to date, the record of the last build still knows its warnings.
    again = run_cli("build", str(cached_demo), "--strict")
    assert again.returncode == 1 and "take-2.flac" in again.stderr


EP2 = "episodes/02-frankfurt-kav"
EP3 = "episodes/03-zu-gast-im-jugendbeirat"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def test_drafts_wait_scheduled_episodes_wait_for_their_date_radio_gets_them_early(
    cached_demo: Path,
) -> None:
    edit(cached_demo / EP3 / "episode.md", "\n---\n", "\nstatus: draft\n---\n")
    edit(
        cached_demo / EP2 / "episode.md",
        "date: 2026-10-08T18:00:00+02:00",
        "date: 2099-10-08T18:00:00+02:00\nradio_release: 2026-10-01T00:00:00+02:00",
    )
    allow = ("--allow", "02-frankfurt-kav", "--allow", "03-zu-gast-im-jugendbeirat")
    result = run_cli("build", str(cached_demo), *allow)
    assert result.returncode == 0, result.stderr
    assert (
        "1 held back (drafts, or dated later), 1 for radio partners only, under embargo; "
        "the next is due 2099-10-08T18:00" in result.stdout
    )
    out = cached_demo / "feed"
    public = podcastparser.parse(BASE + "feed.xml", (out / "feed.xml").open("rb"))
    assert [e["title"] for e in public["episodes"]] == [
        "Leipzig: Der Migrantenbeirat und die anderen Beiräte"
    ]
    radio = feedparser.parse((out / "radio.xml").read_bytes())
    assert len(radio.entries) == 1  # under embargo: only in the partners' drop boxes
    names = set(tree_bytes(out))
    assert not [n for n in names if "03-zu-gast" in n]  # the draft: nothing at all
    assert not [n for n in names if "02-frankfurt" in n]  # under embargo: nothing public
    # its programme sheet goes to the partners with its audio (test_partners_embargo)
    record = Cache.of_show(cached_demo).get_json("partners", record_key(out))
    assert record is not None
    due = {e["file"]: e for e in record["partners"]["radioblau"]}
    sheet = json.loads(Path(due["20261001_quer-durch-die-gremien_002.json"]["path"]).read_text())
    assert sheet["embargo_until"] == "2099-10-08T18:00:00+02:00" and "page" not in sheet
    assert "02-frankfurt" not in (out / "index.html").read_text()
    again = run_cli("build", str(cached_demo), *allow)
    assert "up to date" in again.stdout and "due 2099-10-08T18:00" in again.stdout
    # On the day, a build releases it (and a build that day is not "up to date").
    day = datetime(2099, 10, 8, 16, 0, 1, tzinfo=UTC)
    report = build(cached_demo, allow=frozenset({"03-zu-gast-im-jugendbeirat"}), now=day)
    assert not report.up_to_date and report.held_back == 1 and report.next_release is None
    public = podcastparser.parse(BASE + "feed.xml", (out / "feed.xml").open("rb"))
    assert len(public["episodes"]) == 2
    assert (out / "episodes/02-frankfurt-kav.html").is_file()
    assert "embargo_until" not in (out / "programme/02-frankfurt-kav.json").read_text()


def test_a_preview_shows_drafts_with_a_banner(cached_demo: Path, tmp_path: Path) -> None:
    edit(cached_demo / EP3 / "episode.md", "\n---\n", "\nstatus: draft\n---\n")
    site = tmp_path / "preview"
    build(cached_demo, site, preview_url="http://127.0.0.1:8000/")
    page = (site / "episodes/03-zu-gast-im-jugendbeirat.html").read_text()
    assert "Entwurf: diese Folge ist noch nicht veröffentlicht" in page
    with pytest.raises(PodcastError, match=r"is held back now \(status: draft"):
        build(cached_demo)  # it was published: unpublishing it needs --allow
    out = build(cached_demo, allow=frozenset({"03-zu-gast-im-jugendbeirat"})).out
    published = (out / "index.html").read_text()
    assert "Zu Gast im Jugendbeirat" not in published and "Entwurf" not in published


def test_radio_release_after_the_date_is_refused(demo: Path) -> None:
    edit(
        demo / EP2 / "episode.md",
        "date: 2026-10-08T18:00:00+02:00",
        "date: 2026-10-08T18:00:00+02:00\nradio_release: 2026-10-09T00:00:00+02:00",
    )
    result = run_cli("check", str(demo))
    assert result.returncode == 1 and "radio_release must not be after date" in result.stderr


EP3_CHAPTERS = [
    (0.0, "Ankunft in der Sitzung"),
    (11.5, "Was beide Beiräte mitnehmen"),
    (18.3, "Dank und Abschied"),
]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "labels.txt",  # Audacity: File > Export > Export Labels (a spectral label included)
            "0.000000\t0.000000\tAnkunft in der Sitzung\n"
            "11.500000\t11.500000\tWas beide Beiräte mitnehmen\n"
            "\\\t300.000000\t3000.000000\n"
            "18.300000\t19.000000\tDank und Abschied\n",
        ),
        (
            "markers.csv",  # Reaper: Region/Marker Manager > Export, time as Minutes:Seconds
            "#,Name,Start,End,Length,Color\n"
            "M1,Ankunft in der Sitzung,0:00.000,,,\n"
            "M2,Was beide Beiräte mitnehmen,0:11.500,,,\n"
            "R1,Dank und Abschied,0:18.300,0:25.000,0:06.700,\n",
        ),
        (
            "chapters.ogm.txt",
            "CHAPTER01=00:00:00.000\nCHAPTER01NAME=Ankunft in der Sitzung\n"
            "CHAPTER02=00:00:11.500\nCHAPTER02NAME=Was beide Beiräte mitnehmen\n"
            "CHAPTER03=00:00:18.300\nCHAPTER03NAME=Dank und Abschied\n",
        ),
        (
            "chapters.mp4chaps.txt",
            "00:00:00.000 Ankunft in der Sitzung\n00:00:11.500 Was beide Beiräte mitnehmen\n"
            "00:00:18.300 Dank und Abschied\n",
        ),
    ],
)
def test_chapters_from_the_editors_tools(demo: Path, name: str, text: str) -> None:
    folder = demo / EP3
    (folder / name).write_text(text, encoding="utf-8")
    edit(folder / "episode.md", "chapters: chapters.txt", f"chapters: {name}")
    (episode,) = [e for e in load_show(demo).episodes if e.slug == EP3.split("/")[1]]
    assert [(c.start, c.title) for c in episode.chapters] == EP3_CHAPTERS


def test_a_chapters_file_is_named_with_its_format_when_it_cannot_be_read(demo: Path) -> None:
    folder = demo / EP3
    (folder / "labels.txt").write_text("0.0\t0.0\tAnfang\n12.0\t12.0\t\n", encoding="utf-8")
    edit(folder / "episode.md", "chapters: chapters.txt", "chapters: labels.txt")
    result = run_cli("check", str(demo))
    assert result.returncode == 1
    assert f"{EP3}/labels.txt:2: chapters: a label without text (read as Audacity labels)" in (
        result.stderr
    )


def test_an_episode_that_comes_back_gets_its_old_urls(cached_demo: Path, tmp_path: Path) -> None:
    build(cached_demo)
    kept = tmp_path / "kept"
    shutil.move(cached_demo / EP2, kept)
    result = run_cli("build", str(cached_demo), "--allow", "02-frankfurt-kav")
    assert result.returncode == 0, result.stderr
    lock = tomllib.loads((cached_demo / "podcast.lock").read_text())
    assert lock["retired"] == {"urn:uuid:5f0c3a52-1c7e-4b8e-9d0a-6a1f2c3d4e02": "02-frankfurt-kav"}
    shutil.move(kept, cached_demo / "episodes/07-frankfurt-wieder-da")  # back, renamed
    back = run_cli("build", str(cached_demo))
    assert back.returncode == 0, back.stderr
    assert built_file(cached_demo / "feed", "audio/02-frankfurt-kav.mp3").is_file()
    assert not list((cached_demo / "feed").rglob("07-frankfurt*"))
    assert "retired" not in tomllib.loads((cached_demo / "podcast.lock").read_text())


def test_renders_no_build_uses_are_pruned_and_clean_empties_the_cache(
    demo: Path, shared_cache: Path
) -> None:
    cache = demo / ".cache/podcast"
    # A private copy (hard links: quick), pruned freely.
    shutil.copytree(shared_cache, cache, symlinks=True, copy_function=os.link)
    for record in (cache / "builds").glob("*.json"):
        record.unlink()  # other tests' builds are not this show's
    for folder in (EP2, EP3):  # one episode renders again below, not three
        shutil.rmtree(demo / folder)
    (demo / "podcast.lock").unlink()
    build(demo)
    before = {p.name for p in (cache / "render").iterdir() if p.is_dir()}
    toml = demo / "podcast.toml"
    toml.write_text(toml.read_text().replace("podcast_lufs = -16.0", "podcast_lufs = -17.0"))
    result = run_cli("-v", "build", str(demo))
    assert result.returncode == 0, result.stderr
    assert "MB of renders no build uses any more removed" in result.stdout
    after = {p.name for p in (cache / "render").iterdir() if p.is_dir()}
    assert after and not after & before  # every -16 LUFS render is gone, the new ones stay
    add = '[publish.web]\nkind = "folder"\npath = "/tmp/nowhere"\n'
    (cache / "publish").mkdir(exist_ok=True)
    (cache / "publish/log.json").write_text("{}")
    toml.write_text(toml.read_text() + add)
    cleaned = run_cli("clean", cwd=demo / "episodes")
    assert cleaned.returncode == 0 and "MB from" in cleaned.stdout
    assert sorted(p.name for p in cache.iterdir()) == [".build.lock", "publish"]


def test_info_reads_many_files_with_their_tags_and_chapters(built_demo: object) -> None:
    out = built_demo.out  # type: ignore[attr-defined]
    mp3 = built_file(out, "audio/03-zu-gast-im-jugendbeirat.mp3")
    wav = built_file(out, "broadcast/03-zu-gast-im-jugendbeirat.wav")
    result = run_cli("info", str(mp3), str(wav), str(out / "missing.mp3"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "missing.mp3: no such file" in result.stderr and "1 of 3 files" in result.stderr
    first, second = result.stdout.strip().split("\n\nfile:")
    assert "tag:         title = Zu Gast im Jugendbeirat" in first
    assert "chapter:     00:00:00.000 Ankunft in der Sitzung des Jugendbeirats" in first
    assert re.search(r"^duration:    00:00:\d\d\.\d{3} \(", first, re.M)
    assert "tag:         originator_reference = 0003-03-zu-gast-im-jugendbeirat" in second
    assert "loudness:    -23.0 LUFS" in second


def test_subscribe_links_for_any_app_in_the_order_written(cached_demo: Path) -> None:
    toml = cached_demo / "podcast.toml"
    edit(
        toml,
        "[subscribe]\n",
        '[subscribe]\npocketcasts = "https://pca.st/quer"\n'
        '"Podcast <b>Republic</b>" = "https://www.podcastrepublic.net/podcast/1"\n',
    )
    page = (build(cached_demo).out / "index.html").read_text()
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', page)
    assert links[:2] == [
        ("https://pca.st/quer", "Pocket Casts"),
        ("https://www.podcastrepublic.net/podcast/1", "Podcast &lt;b&gt;Republic&lt;/b&gt;"),
    ]
    assert links[2][1] == "AntennaPod"
    edit(toml, 'pocketcasts = "https://pca.st/quer"', 'pocketcasts = "javascript:alert(1)"')
    result = run_cli("check", str(cached_demo))
    assert result.returncode == 1 and "subscribe.pocketcasts: must be a web address" in (
        result.stderr
    )


def test_pictures_in_the_notes_are_published_and_remote_ones_refused(
    cached_demo: Path,
) -> None:
    folder = cached_demo / EP1
    Image.new("RGB", (800, 600), (200, 40, 40)).save(folder / "sitzung im rathaus.jpg", "JPEG")
    notes = folder / "episode.md"
    notes.write_text(
        notes.read_text()
        + "\n![Die Sitzung im Rathaus](<sitzung im rathaus.jpg>)\n\n"
        + '<img src="https://tracker.example/pixel.gif" alt="">\n'
    )
    bad = run_cli("check", str(cached_demo))
    assert bad.returncode == 1 and "an <img> tag: it would not be shown" in bad.stderr
    notes.write_text(
        notes.read_text().replace(
            '<img src="https://tracker.example/pixel.gif" alt="">\n',
            "![Logo](https://cdn.example/logo.png) ![](<sitzung im rathaus.jpg>)\n",
        )
    )
    bad = run_cli("check", str(cached_demo))
    assert "the picture https://cdn.example/logo.png is on another site" in bad.stderr
    assert "has no description" in bad.stderr
    notes.write_text(
        notes.read_text().replace(
            "![Logo](https://cdn.example/logo.png) ![](<sitzung im rathaus.jpg>)\n", ""
        )
    )
    out = build(cached_demo).out
    original = (folder / "sitzung im rathaus.jpg").read_bytes()
    # As it is, and a 480 px copy for phones (issue 27).
    (published,) = [p for p in (out / "images").iterdir() if p.read_bytes() == original]
    assert published.name.startswith("01-leipzig-migrantenbeirat-") and published.suffix == ".jpg"
    page = (out / "episodes/01-leipzig-migrantenbeirat.html").read_text()
    url = f"{BASE}images/{published.name}"
    assert f'<img src="../images/{published.name}" srcset="' in page  # relative on the page
    assert 'width="800" height="600" loading="lazy" decoding="async" alt="Die Sitzung' in page
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert any(url in entry.content[0].value for entry in feed.entries)


def test_pages_of_the_show_are_published_and_linked_from_every_page(cached_demo: Path) -> None:
    pages = cached_demo / "pages"
    (pages / "ueber uns.md").write_text(
        "---\ntitle: Über uns\n---\nWir sind eine <b>Redaktion</b>.<script>alert(1)</script>\n\n"
        "![Die Redaktion im Studio](<team foto.png>)\n"
    )
    Image.new("RGB", (120, 80), (200, 40, 40)).save(pages / "team foto.png")
    out = build(cached_demo).out
    about = (out / "ueber-uns.html").read_text()
    assert "<h1>Über uns</h1>" in about and "<script>" not in about
    # The picture is published beside the pages under a name made from its content.
    picture = re.search(
        r'<img src="(images/[^"]+\.png)" width="120" height="80" loading="lazy" decoding="async"'
        r' alt="Die Redaktion im Studio">',
        about,
    )
    assert picture, about
    assert (out / picture[1]).read_bytes() == (pages / "team foto.png").read_bytes()
    for page in ("index.html", "episodes/02-frankfurt-kav.html", "impressum.html"):
        footer = (out / page).read_text().split('<footer class="site">')[1]
        root = "../" if page.startswith("episodes/") else ""
        assert f'<a href="{root}ueber-uns.html">Über uns</a>' in footer
        assert f'<a href="{root}impressum.html">Impressum</a>' in footer
    (pages / "datenschutz.md").unlink()
    (pages / "index.md").write_text("# Start\n")
    result = run_cli("check", str(cached_demo))
    assert result.returncode == 1 and "pages/index.md: 'index' is the site's start page" in (
        result.stderr
    )
    (pages / "index.md").unlink()
    (pages / "anfahrt.md").write_text(
        "# Anfahrt\n\nSo:\n\n![Karte](https://maps.example.com/k.png)\n"
    )
    result = run_cli("check", str(cached_demo))
    assert result.returncode == 1 and "pages/anfahrt.md:5: the picture https://maps." in (
        result.stderr
    )
    (pages / "anfahrt.md").unlink()
    result = run_cli("check", str(cached_demo))
    assert result.returncode == 0 and "no datenschutz.md; a German website needs one" in (
        result.stderr
    )


def test_the_reference_documents_every_key_and_errors_show_the_table_to_write(
    demo: Path,
) -> None:
    printed = run_cli("reference")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (REPO / "docs/reference.md").read_text()  # the docs are current
    rows = dict(re.findall(r"^\| `([^`]+)` \| [^|]+ \| [^|]+ \| (.*) \|$", printed.stdout, re.M))

    def keys(table: dict[str, object]) -> set[str]:  # as an outsider reads them from the file
        names = set()
        for key, value in table.items():
            names.add(key)
            if key == "partners":  # tables by name: their keys, not their names
                for partner in value.values():
                    names |= keys(partner)
                continue
            for inner in value if isinstance(value, list) else [value]:
                if isinstance(inner, dict) and key not in ("subscribe", "publish"):
                    names |= keys(inner)
        return names

    written = keys(tomllib.loads((demo / "podcast.toml").read_text()))
    for episode in sorted(demo.glob("episodes/*/episode.md")):
        written |= keys(yaml.safe_load(episode.read_text().split("---")[1]))
    assert written <= set(rows), written - set(rows)
    assert all(len(text) > 15 for text in rows.values()), rows  # each is described

    # `owner` as a plain value: the error shows the [owner] table; written as shown, it loads.
    config = (demo / "podcast.toml").read_text()
    owner = re.search(r"\[owner\]\n(?:\w+ = .*\n)+", config)
    assert owner
    (demo / "podcast.toml").write_text(
        'owner = "Radio Blau"\n' + config.replace(owner[0], "").replace("\n\n\n", "\n\n")
    )
    result = run_cli("check", str(demo))
    assert result.returncode == 1
    shown = re.search(
        r"podcast\.toml:1: owner: must be a table of keys; .*:\n((?:    .*\n)+)", result.stderr
    )
    assert shown, result.stderr
    table = textwrap.dedent(shown[1])
    assert table.startswith("[owner]\nname = ") and "email = " in table
    filled = table.replace('name = "…"', 'name = "Radio Blau"').replace(
        'email = "…"', 'email = "redaktion@radioblau.de"'
    )
    (demo / "podcast.toml").write_text(config.replace(owner[0], "") + "\n" + filled)
    assert run_cli("check", str(demo)).returncode == 0

    # In the front matter, in YAML: persons as one name.
    episode = demo / EP1 / "episode.md"
    text = episode.read_text()
    persons = re.search(r"persons:\n(?:  .*\n)+", text)
    assert persons
    episode.write_text(text.replace(persons[0], "persons: Anna Beispiel\n"))
    line = text[: persons.start()].count("\n") + 1
    result = run_cli("check", str(demo))
    shown = re.search(
        rf"episode\.md:{line}: persons: must be a list of entries; .*:\n((?:    .*\n)+)",
        result.stderr,
    )
    assert shown, result.stderr
    entry = textwrap.dedent(shown[1])
    assert entry.startswith("persons:\n  - name: …\n")
    episode.write_text(text.replace(persons[0], entry.replace("…", "Anna Beispiel")))
    assert run_cli("check", str(demo)).returncode == 0
