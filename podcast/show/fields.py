"""The field types of the schema (show/schema.py): what a text, a time, a date, a web address
or an e-mail address in podcast.toml or the front matter may be, and how each is read."""

from __future__ import annotations

import datetime
import math
import re
from string import Formatter
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from yaml import ScalarNode
from yaml.constructor import SafeConstructor

GEO_URI = r"^geo:-?\d+(\.\d+)?,-?\d+(\.\d+)?(,-?\d+(\.\d+)?)?$"


EMAIL = re.compile(r"^[^@\s<>()\[\]\\,;:\"'?&]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]{2,}$")


# Characters no text may carry: XML 1.0 cannot hold C0 controls (other than tab, line feed and
# carriage return), DEL and C1 controls are never meant as text, and U+FFFE/U+FFFF and lone
# surrogates are not characters. One rule for every value that can reach a page or a feed.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def control_character(text: str) -> str | None:
    """A description of the first character in `text` that no output can carry, if any."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    return f"contains the control character U+{ord(found[0]):04X} at position {found.start() + 1}"


def _web_url(value: str) -> str:
    """Only absolute http(s) URLs with a host reach a page, a feed or a tag."""
    try:
        parts = urlsplit(value)
        acceptable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 host or port
        acceptable = False
    if not acceptable or any(c.isspace() or c in '<>"\\' for c in value):
        raise ValueError("must be a web address starting with https:// (or http://)")
    return value


WebUrl = Annotated[str, AfterValidator(_web_url)]


NonEmpty = Annotated[str, Field(min_length=1)]


Title = Annotated[str, Field(min_length=1, max_length=255)]


TIME_FIX = "write seconds, MM:SS or HH:MM:SS(.mmm), counted from 0"


# Seconds, MM:SS or HH:MM:SS, each part digits (a fraction on the last): no sign, no exponent,
# no `nan`, no `_` (all of which float() reads).
_TIME = re.compile(r"^\d+(:\d+){0,2}(\.\d+)?$")


def read_time(text: str) -> float:
    """Seconds from "SS(.mmm)", "MM:SS(.mmm)" or "HH:MM:SS(.mmm)"; a ValueError saying what
    is wrong otherwise (a negative time, not a number; `TIME_FIX` is the fix)."""
    value = text.strip()
    if _TIME.match(value):
        seconds = 0.0
        for part in value.split(":"):
            seconds = seconds * 60 + float(part)
        return seconds
    if any(part.strip().startswith("-") for part in value.split(":")):
        raise ValueError(f"'{text}' is a negative time")
    if value.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise ValueError(f"'{text}' is not a number")
    raise ValueError(f"cannot read the time '{text}'")


def parse_timestamp(value: Any) -> Any:
    """Accept seconds (number) or "HH:MM:SS(.mmm)" / "MM:SS" strings; return seconds. The one
    reader of times: negative and not-a-number times are refused here, saying which."""
    if isinstance(value, bool):
        return value  # pydantic refuses it as a number
    if isinstance(value, int | float):
        if math.isnan(value):
            raise ValueError("not a number")
        if math.isinf(value):
            raise ValueError("not a finite time")
        if value < 0:
            raise ValueError(f"{value} is a negative time")
        return float(value)
    if isinstance(value, str):
        return read_time(value)
    return value


Seconds = Annotated[float, Field(ge=0)]


# The years a publication date may have: RSS dates (RFC 822) and time zone arithmetic break
# on years far outside these.
DATE_YEARS = (1900, 2999)


def _timestamp(text: str) -> datetime.date | None:
    """A YAML timestamp as YAML reads it (the loader keeps timestamps as text, so that an
    impossible one is reported here, with its field); None when `text` is no timestamp."""
    if not SafeConstructor.timestamp_regexp.match(text):
        return None
    node = ScalarNode("tag:yaml.org,2002:timestamp", text)
    try:
        value: datetime.date = SafeConstructor().construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as error:
        reason = str(error)
        if "offset" in reason:
            reason = "a time zone offset lies between -23:59 and +23:59"
        raise ValueError(f"'{text}' is not a real date and time ({reason})") from error
    return value


def _read_date(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        # YAML reads 20260910 as a number, which pydantic would take for Unix time (1970).
        raise ValueError(f"{value} is a number, not a date and time")
    if isinstance(value, str):
        return _timestamp(value.strip()) or value
    return value


def _sane_year(value: datetime.datetime) -> datetime.datetime:
    low, high = DATE_YEARS
    if not low <= value.year <= high:
        raise ValueError(f"the year {value.year} is not between {low} and {high}")
    return value


PublishDate = Annotated[AwareDatetime, BeforeValidator(_read_date), AfterValidator(_sane_year)]


# File-name and cut-ID patterns of radio partners (`[partners.<name>]`).
PATTERN_FIELDS = {
    "date": "the radio release (else public) date, with a strftime format: {date:%Y%m%d}",
    "show": "the show's title as a slug",
    "number": "the episode number, with a format if wanted: {number:03d}",
    "season": "the season number (0 without one)",
    "episode": "the episode's name in URLs",
    "partner": "the partner's name under [partners]",
}
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def fill_pattern(pattern: str, values: dict[str, Any]) -> str:
    """`pattern` ({date:%Y%m%d}_{show}_{number}) with the values of one episode."""
    return pattern.format_map(values)


def example_fields() -> dict[str, Any]:
    """Values of every pattern field, to check a pattern with when the show is loaded."""
    return {
        "date": datetime.datetime(2026, 9, 10, 18, 0),
        "show": "quer-durch-die-gremien",
        "number": 12,
        "season": 1,
        "episode": "01-leipzig",
        "partner": "radioblau",
    }


# Fields of a pattern that tell one episode's file from another's.
EPISODE_FIELDS = ("number", "episode")


def check_pattern(pattern: str, what: str, per_episode: bool = False) -> str:
    """A pattern that fills in for any episode and makes a safe file name (or cut ID); with
    `per_episode`, one that names each episode's file differently."""
    try:
        names = []
        for _, name, spec, _ in Formatter().parse(pattern):
            # Only plain field names: `{date.__class__}` or `{show[0]}` would reach into objects.
            if name is not None and name not in PATTERN_FIELDS:
                raise KeyError(name)
            # A width of {number:099999999d} would fill the memory before anything is checked.
            if spec and re.search(r"\d{3,}", spec):
                raise ValueError(f"the width in {{{name}:{spec}}} is over 99")
            names.append(name)
        example = fill_pattern(pattern, example_fields())
    except KeyError as error:
        raise ValueError(
            f"{what}: {{{error.args[0]}}} is not a field; use {', '.join(PATTERN_FIELDS)}"
        ) from None
    except (ValueError, IndexError, AttributeError) as error:
        raise ValueError(
            f"{what}: {error} (write fields as {{number:03d}} or {{date:%Y%m%d}})"
        ) from None
    if per_episode and not any(name in EPISODE_FIELDS for name in names):
        raise ValueError(
            f"{what}: gives every episode the same name, so one would replace the other in "
            "the partner's import folder; put {number:03d} or {episode} into it"
        )
    if not SAFE_FILE_NAME.match(example):
        raise ValueError(
            f"{what}: makes {example!r}, not a safe file name (letters, digits, '.', '_' and "
            "'-' only, up to 100 characters)"
        )
    return pattern
