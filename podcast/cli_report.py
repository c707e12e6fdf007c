"""What the commands print: a build's measurements, a publish and its status, an audio file's
facts. Apart from cli.py (the click layer: options, errors, which library call) so that each
is read on its own; cli.py imports it when a command runs."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from podcast.errors import PodcastError

if TYPE_CHECKING:
    from podcast.build import BuildReport
    from podcast.importer.run import ImportReport
    from podcast.publish.deliver import DeliveryStatus
    from podcast.publish.remote import PublishReport, PublishStatus
    from podcast.transcribe.command import Written


class Output(Protocol):
    """Where a command prints: `say` unless --quiet, `detail` with --verbose only, `echo`
    always, `warn` on standard error as `warning: ...`, `error` on standard error."""

    def say(self, message: str) -> None: ...
    def detail(self, message: str) -> None: ...
    def echo(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...


def print_build(report: BuildReport, out: Output) -> None:
    """The measurements per episode, the warnings and what was published or held back."""
    from podcast.audio.renditions import BROADCAST_WAV, MP3

    for note in report.notes:
        out.say(f"note: {note}")
    if report.up_to_date:
        out.say(f"up to date: nothing changed since the last build into {report.out}")
        if report.next_release:
            out.say(f"the next held-back episode is due {report.next_release}")
        return
    for episode in report.episodes:
        mp3 = episode["renditions"][MP3.file]
        line = (
            f"{episode['slug']}: podcast {mp3['integrated_lufs']:.1f} LUFS "
            f"{mp3['true_peak_dbtp']:.1f} dBTP (gain {mp3['gain_db']:+.1f} dB)"
            if mp3["integrated_lufs"] is not None
            else f"{episode['slug']}: the audio stays at its address (imported)"
        )
        if mp3.get("attempts") == 0 and mp3["integrated_lufs"] is not None:
            line = line.replace("(gain +0.0 dB)", "(published as it is)")
        wav = episode["renditions"].get(BROADCAST_WAV.file)
        if wav:
            line += (
                f", broadcast {wav['integrated_lufs']:.1f} LUFS {wav['true_peak_dbtp']:.1f} dBTP"
            )
        out.say(line)
        for source in episode["inputs"]:
            out.detail(
                f"    input {source['file']}: {source['integrated']:.1f} LUFS, "
                f"{source['sample_peak']:.1f} dBFS peak, {source['duration']:.1f} s"
            )
            if source.get("sound"):
                from podcast.audio.sound import SoundReport

                described = SoundReport.from_json(source["sound"]).describe()
                out.say(f"    {source['file']}: {described}")
            for track in source.get("tracks") or ():
                from podcast.audio.multitrack import TrackReport

                out.say(f"    track {TrackReport(**track).describe()}")
    for warning in report.warnings:
        out.warn(warning)
    out.say(f"published {len(report.episodes)} episodes to {report.out}")
    waiting = [
        f"{report.held_back} held back (drafts, or dated later)" if report.held_back else "",
        f"{report.radio_only} for radio partners only, under embargo" if report.radio_only else "",
    ]
    if any(waiting):
        due = f"; the next is due {report.next_release}: build again then"
        out.say(", ".join(w for w in waiting if w) + (due if report.next_release else ""))


def print_publish_status(state: PublishStatus, out: Output) -> None:
    """What a target has against the last build (`podcast publish --status`)."""
    out.echo(f"target:        {state.target} ({state.destination})")
    out.echo(f"last publish:  {state.last_publish or 'never'}")
    out.echo(f"to send:       {len(state.to_send)} (new or changed since the last publish)")
    for name in state.to_send:
        out.detail(f"    {name}")
    out.echo(f"to delete:     {len(state.to_delete)}")
    for name in state.to_delete:
        out.detail(f"    {name}")
    for name, since in sorted(state.kept.items()):
        out.echo(f"kept:          {name} (removed from the build {since[:10]})")


def print_delivery_status(state: DeliveryStatus, out: Output) -> None:
    """What a radio partner had of the last build, per episode, and what is still due
    (`podcast publish --to PARTNER --status`, from the delivery log)."""
    out.echo(f"partner:       {state.partner}")
    out.echo(f"delivered to:  {state.destination}")
    out.echo(f"last delivery: {(state.last_delivery or 'never')[:19].replace('T', ' ')}")
    for episode, files in state.episodes:
        out.echo(f"{episode}:")
        for entry in files:
            if state.pulls:
                out.echo(f"    {entry.file}: not delivered (it pulls radio.xml)")
            elif entry.delivered_at is None:
                out.echo(f"    {entry.file}: due")
            else:
                moment = entry.delivered_at[:19].replace("T", " ")
                out.echo(f"    {entry.file}: delivered {moment or '(time not logged)'} UTC")
    out.echo(f"due:           {len(state.due)} files")


def print_publish(report: PublishReport, dry_run: bool, out: Output) -> None:
    """What a publish sent, deleted and kept, and what the check over HTTP found; a problem
    it found is an error."""
    if report.unchanged and report.last_publish is None:
        out.say(f"{report.target}: nothing to send to {report.destination}")
    elif report.unchanged:
        out.say(
            f"{report.target}: nothing changed since the last publish to {report.destination}"
            f" ({(report.last_publish or '')[:19].replace('T', ' ')} UTC)"
        )
    else:
        verb, deleted = ("would send", "would delete") if dry_run else ("sent", "deleted")
        out.say(
            f"{report.target}: {verb} {len(report.sent)} files to {report.destination}"
            + (f", {deleted} {len(report.deleted)}" if report.deleted else "")
        )
    for name in report.sent if dry_run else ():
        out.say(f"    {name}")
    for name in report.deleted:
        out.detail(f"    deleted {name}")
    for name, until in sorted(report.kept.items()):
        (out.detail if report.unchanged else out.say)(
            f"    kept {name} (removed or replaced; apps may still fetch it) until {until}"
        )
    for failure in report.announce_failures:
        out.warn(failure)
    problems = [f for f in report.findings if f.severity == "problem"]
    warnings: dict[tuple[str, str], list[str]] = {}
    for finding in report.findings:
        if finding.severity == "warning":
            warnings.setdefault((finding.message, finding.fix), []).append(finding.url)
    for (message, fix), where in warnings.items():
        files = where[0] if len(where) == 1 else f"{len(where)} files, e.g. {where[0]}"
        out.warn(f"{files}: {message} ({fix})")
    if problems:
        raise PodcastError(
            "published, but the server does not deliver the show as built:\n"
            + "\n".join(str(f) for f in problems)
        )
    if report.verified:
        out.say("verified over HTTP: the feeds are served as built, every file answers")


def print_file_info(files: tuple[Path, ...], out: Output) -> None:
    """Each audio file's format, duration, loudness, tags and chapters (`podcast info`)."""
    from podcast.audio.analyse import sound_of_file
    from podcast.audio.loudness import measure_file
    from podcast.audio.probe import probe
    from podcast.outputs.timecode import clock
    from podcast.show.show_files import file_kind
    from podcast.show.text import terminal_safe as safe

    failed = []
    for number, file in enumerate(files):
        if number:
            out.echo("")
        episode_file = file / "episode.md" if file.is_dir() else file
        if episode_file.name == "episode.md" and episode_file.is_file():
            try:
                _print_tracks(episode_file, out)
            except PodcastError as exc:
                out.error("error: " + "\n".join(safe(line) for line in str(exc).split("\n")))
                failed.append(file)
            continue
        try:
            kind = file_kind(file)
            if kind is None:
                raise PodcastError(f"{safe(str(file))}: no such file")
            if kind != "a file":
                raise PodcastError(f"{safe(str(file))}: is {kind}, not an audio file")
            facts = probe(file)
            loudness = measure_file(file)
        except PodcastError as exc:
            lines = (safe(line) for line in str(exc).split("\n"))
            out.error("error: " + "\n".join(lines))
            failed.append(file)
            continue
        out.echo(f"file:        {safe(str(file))}")
        out.echo(
            safe(
                f"format:      {facts.format_name} ({facts.codec}), {facts.sample_rate} Hz, "
                f"{facts.channels} channel(s)"
            )
            + (f", {facts.bit_rate // 1000} kb/s" if facts.bit_rate else "")
        )
        out.echo(f"duration:    {clock(facts.duration, millis=True)} ({facts.duration:.3f} s)")
        out.echo(
            f"loudness:    {loudness.integrated:.1f} LUFS integrated, LRA {loudness.lra:.1f} LU"
        )
        out.echo(f"true peak:   {loudness.peak:.1f} dBTP")
        for key, value in facts.tags:
            shown = " ".join(value.split())
            shown = shown if len(shown) <= 100 else shown[:97] + "..."
            out.echo(f"tag:         {safe(key)} = {safe(shown)}")
        for start, title in facts.chapters:
            out.echo(f"chapter:     {clock(start, millis=True)} {safe(title)}")
        try:
            sound = sound_of_file(file)
        except PodcastError:  # too short or silent: there is nothing to say about its sound
            sound = None
        if sound is not None:
            out.echo(f"sound:       {sound.describe()} (with the default [audio] settings)")
    if failed:
        raise PodcastError(f"{len(failed)} of {len(files)} files could not be read")


def _print_tracks(source: Path, out: Output) -> None:
    """An episode's multitrack recordings, per track: offset, drift, speech loudness and bleed
    before and after (the premix's report; made first when the cache has none)."""
    from podcast.audio.multitrack import premix
    from podcast.plan.cache import Cache
    from podcast.show.loader import load_show
    from podcast.show.locate import find_show_root
    from podcast.show.text import terminal_safe as safe

    show = load_show(find_show_root(source.parent))
    found = [e for e in show.episodes if e.source.resolve() == source.resolve()]
    if not found:
        raise PodcastError(f"{safe(str(source))}: not an episode of the show {show.root}")
    episode = found[0]
    out.echo(f"episode:     {safe(episode.slug)}")
    recordings = [(i, r) for i, r in enumerate(episode.recordings) if r.tracks]
    if not recordings:
        out.echo("tracks:      none (no recording of this episode has `tracks`)")
    cache = Cache.of_show(show.root)
    for index, recording in recordings:
        mixed = premix(recording, show.config.audio, cache, episode.source, f"recordings[{index}]")
        out.echo(f"recording:   recordings[{index}], {len(recording.tracks)} tracks")
        for track in mixed.tracks:
            out.echo(f"track:       {safe(track.describe())}")


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.0f} kB"


class DownloadProgress:
    """Progress of the import's downloads: a line per file at every further tenth."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.shown: dict[str, int] = {}

    def __call__(self, name: str, done: int, total: int | None) -> None:
        step = 10 * done // total if total else -1
        if total and self.shown.get(name, -2) < step:
            self.shown[name] = step
            self.out.say(f"  {name}: {_size(done)} of {_size(total)} ({10 * step}%)")


def print_import(report: ImportReport, out: Output, loaded: bool = True) -> None:
    """What an import made, what it adjusted, changed or skipped, and what to do next (when
    the show loads: else the error that follows says it)."""
    if report.created:
        out.say(f"created {report.folder / 'podcast.toml'}")
    for slug in report.imported:
        out.say(f"imported {slug}")
    for path, size, digest in report.downloaded:
        out.detail(f"downloaded {path}: {size} bytes, sha256 {digest}")
    if report.unchanged:
        out.say(f"{report.unchanged} episode(s) already imported, unchanged")
    for change in report.changed:
        out.warn(f"changed in the feed, not overwritten: {change}")
    for note in report.notes:
        out.say(f"note: {note}")
    for skipped in report.skipped:
        out.warn(f"skipped {skipped.item!r}: {skipped.reason}")
    counts = f"{len(report.imported)} imported, {len(report.skipped)} skipped"
    if not loaded:
        out.say(counts)
        return
    folder = shlex.quote(str(report.folder))
    out.say(f"{counts}; next: check the notes above, then `podcast build {folder}`")


def print_transcribed(written: list[Written], out: Output) -> None:
    """What `podcast transcribe` wrote, the words to check, and a language that is not the
    episode's."""
    for item in written:
        draft = item.draft
        if item.path is None or draft is None:
            out.warn(item.note)
            continue
        named = " (named in episode.md)" if item.named else ""
        out.say(f"{item.episode}: wrote {item.path}{named}")
        if draft.detected:
            out.warn(
                f"{item.episode}: the recording sounds like '{draft.detected}' "
                f"({draft.detected_probability:.0%} sure), not the episode's language "
                f"'{draft.language}'; set language in episode.md if it is"
            )
        if draft.unsure:
            from podcast.outputs.timecode import clock

            words = ", ".join(f"{w.text.strip()} ({clock(w.start)})" for w in draft.unsure[:40])
            more = f" and {len(draft.unsure) - 40} more" if len(draft.unsure) > 40 else ""
            out.say(f"  check {len(draft.unsure)} unsure words (marked <c.unsure>): {words}{more}")
