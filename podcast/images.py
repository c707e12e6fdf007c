"""Cover artwork: check it against Apple's rules and derive the files the outputs need."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import PodcastError, Problem

APPLE_MIN_PX = 1400
APPLE_MAX_PX = 3000
EMBEDDED_MAX_PX = 1400
# Far above any real cover, far below a decompression bomb.
Image.MAX_IMAGE_PIXELS = 8000 * 8000


@dataclass(frozen=True)
class Cover:
    """The published cover (bytes + content-hashed name) and a smaller JPEG to embed in tags."""

    data: bytes
    file_name: str
    mime: str
    size: int
    embedded_jpeg: bytes
    warnings: tuple[str, ...] = ()


def load_cover(path: Path, field: str = "cover") -> Cover:
    """Validate a cover image; raise PodcastError naming the file and the fix."""

    def fail(message: str, fix: str) -> PodcastError:
        return PodcastError([Problem(path, 0, field, message, fix)])

    try:
        with Image.open(path) as image:
            image.load()
            fmt = image.format or ""
            picture = image.copy()
    except Image.DecompressionBombError as exc:
        raise fail("the image is far too large to be a cover", "use 3000x3000 px") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise fail("not an image file ffmpeg or Pillow can read", "use a JPEG or PNG") from exc
    width, height = picture.size
    if width != height:
        raise fail(f"the image is {width}x{height} px, not square", "crop it to a square")
    if width < APPLE_MIN_PX:
        raise fail(
            f"the image is {width} px wide, Apple wants at least {APPLE_MIN_PX}",
            "use a 3000x3000 px image",
        )
    expected_suffix = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}.get(fmt)
    if expected_suffix is None:
        raise fail(f"the image is {fmt or 'an unknown format'}", "save it as JPEG or PNG")
    data = path.read_bytes()
    warnings: list[str] = []
    if width > APPLE_MAX_PX or picture.mode != "RGB" or path.suffix.lower() not in expected_suffix:
        # Convert rather than reject: the editors' file stays, the published copy complies.
        reasons = []
        if width > APPLE_MAX_PX:
            reasons.append(f"resized from {width} to {APPLE_MAX_PX} px")
        if picture.mode != "RGB":
            reasons.append(f"converted from {picture.mode} to RGB")
        if path.suffix.lower() not in expected_suffix:
            reasons.append(f"its name ends in {path.suffix} but it is {fmt}")
        warnings.append(f"{path}: published as JPEG ({'; '.join(reasons)})")
        fixed = picture.convert("RGB")
        if width > APPLE_MAX_PX:
            fixed = fixed.resize((APPLE_MAX_PX, APPLE_MAX_PX), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        fixed.save(buffer, "JPEG", quality=90, optimize=True)
        data, fmt, width = buffer.getvalue(), "JPEG", fixed.size[0]
    suffix = ".jpg" if fmt == "JPEG" else ".png"
    digest = hashlib.sha256(data).hexdigest()[:12]
    small = picture.convert("RGB")
    if small.size[0] > EMBEDDED_MAX_PX:
        small = small.resize((EMBEDDED_MAX_PX, EMBEDDED_MAX_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85, optimize=True)
    return Cover(
        data=data,
        file_name=f"cover-{digest}{suffix}",
        mime="image/jpeg" if fmt == "JPEG" else "image/png",
        size=width,
        embedded_jpeg=buffer.getvalue(),
        warnings=tuple(warnings),
    )
