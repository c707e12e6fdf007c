"""Cover artwork: check it against Apple's rules and derive the files the outputs need."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from podcast.errors import PodcastError, Problem, display_path
from podcast.show.vocabularies import APPLE_MAX_PX, APPLE_MIN_PX

EMBEDDED_MAX_PX = 1400
# Far above any real cover, far below a decompression bomb.
Image.MAX_IMAGE_PIXELS = 8000 * 8000
# Pictures in notes, pages and chapters: refused beyond this (a 10000x10000 PNG of 1.3 MB
# decodes to 381 MiB in a browser); published at most this long on their longest side.
PICTURE_MAX_PIXELS = 40_000_000
WEB_PICTURE_MAX_PX = 1600
# The narrower copies of a picture a page offers a phone (srcset), where the picture is wider.
SRCSET_WIDTHS = (480, 960)
_TURNED = {5, 6, 7, 8}  # EXIF orientations that swap width and height
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Cover:
    """The published cover (bytes + content-hashed name) and a smaller JPEG to embed in tags."""

    data: bytes
    file_name: str
    mime: str
    size: int
    embedded_jpeg: bytes
    warnings: tuple[str, ...] = ()


# The comment of the cover `podcast init` draws: `check` warns while it is still the cover.
PLACEHOLDER_COVER = b"podcast init: placeholder cover"

IMAGE_SUFFIXES = {"JPEG": (".jpg", ".jpeg"), "PNG": (".png",)}


MAX_PICTURE_BYTES = 5_000_000  # a photo for a web page or a chapter, not the camera's original


def picture_problem(path: Path) -> tuple[str, str] | None:
    """`image_problem`, and a file too large for a page, or to embed in every chapter tag."""
    unusable = image_problem(path)
    if unusable is None and path.stat().st_size > MAX_PICTURE_BYTES:
        return (
            f"{path.stat().st_size / 1e6:.1f} MB is too large for a web page",
            "scale it to at most 2000 px wide and save it again (under 5 MB)",
        )
    return unusable


def image_problem(path: Path) -> tuple[str, str] | None:
    """(what is wrong, the fix) when `path` is not a JPEG or PNG image named for its format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                fmt = image.format or ""
                width, height = image.size
                if width * height <= PICTURE_MAX_PIXELS:
                    image.verify()
    except Image.DecompressionBombError:
        width, height, fmt = 0, 0, ""
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return "not an image (or a damaged one)", "use a JPEG or PNG image"
    if width * height > PICTURE_MAX_PIXELS or not width:
        size = f"{width}x{height} px" if width else "far too large"
        return (
            f"the picture is {size}; pictures may have at most "
            f"{PICTURE_MAX_PIXELS // 1_000_000} megapixels",
            f"scale it down (a web page shows at most {WEB_PICTURE_MAX_PX} px on the longest "
            "side) and save it again",
        )
    suffixes = IMAGE_SUFFIXES.get(fmt)
    if suffixes is None:
        return f"the image is {fmt or 'in an unknown format'}", "save it as JPEG or PNG"
    if path.suffix.lower() not in suffixes:
        return (
            f"the file is a {fmt} image but its name ends in {path.suffix}",
            f"rename it to {path.stem}{suffixes[0]}",
        )
    return None


def _has_transparency(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info


def _on_white(picture: Image.Image) -> Image.Image:
    """RGB, with any transparent areas laid on white (converting alone would turn them black)."""
    if _has_transparency(picture):
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return picture.convert("RGB")


def load_cover(path: Path, field: str = "cover") -> Cover:
    """Validate a cover image; raise PodcastError naming the file and the fix."""

    def fail(message: str, fix: str) -> PodcastError:
        return PodcastError([Problem(path, 0, field, message, fix)])

    try:
        with Image.open(path) as image:
            image.load()
            fmt = image.format or ""
            placeholder = image.info.get("comment") == PLACEHOLDER_COVER
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
    expected_suffix = IMAGE_SUFFIXES.get(fmt)
    if expected_suffix is None:
        raise fail(f"the image is {fmt or 'an unknown format'}", "save it as JPEG or PNG")
    data = path.read_bytes()
    warnings: list[str] = []
    if placeholder:
        warnings.append(
            f"{display_path(path)}: still the placeholder cover of `podcast init`; put the "
            f"show's own cover there (square JPEG or PNG, {APPLE_MIN_PX}-{APPLE_MAX_PX} px)"
        )
    if width > APPLE_MAX_PX or picture.mode != "RGB" or path.suffix.lower() not in expected_suffix:
        # Convert rather than reject: the editors' file stays, the published copy complies.
        reasons = []
        if width > APPLE_MAX_PX:
            reasons.append(f"resized from {width} to {APPLE_MAX_PX} px")
        if picture.mode != "RGB":
            flattened = " (transparent areas on white)" if _has_transparency(picture) else ""
            reasons.append(f"converted from {picture.mode} to RGB{flattened}")
        if path.suffix.lower() not in expected_suffix:
            reasons.append(f"its name ends in {path.suffix} but it is {fmt}")
        warnings.append(f"{display_path(path)}: published as JPEG ({'; '.join(reasons)})")
        fixed = _on_white(picture)
        if width > APPLE_MAX_PX:
            fixed = fixed.resize((APPLE_MAX_PX, APPLE_MAX_PX), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        fixed.save(buffer, "JPEG", quality=90, optimize=True)
        data, fmt, width = buffer.getvalue(), "JPEG", fixed.size[0]
    suffix = ".jpg" if fmt == "JPEG" else ".png"
    digest = hashlib.sha256(data).hexdigest()[:12]
    small = _on_white(picture)
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


FAVICON_SIZES = [(16, 16), (32, 32), (48, 48)]


def favicon(cover: Cover) -> bytes:
    """The site's favicon.ico, made from the cover (the 1400 px JPEG embedded in tags)."""
    with Image.open(io.BytesIO(cover.embedded_jpeg)) as image:
        small = image.convert("RGB").resize((48, 48), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "ICO", sizes=FAVICON_SIZES)
    return buffer.getvalue()


@dataclass(frozen=True)
class WebPicture:
    """A picture as a web page shows it: its bytes (the file's own when it is small enough,
    else a copy at most WEB_PICTURE_MAX_PX long) and its size as shown."""

    data: bytes
    width: int
    height: int
    smaller: tuple[WebPicture, ...] = ()  # narrower copies for a phone's screen (srcset)

    @property
    def digest(self) -> str:
        """SHA-256 of the published bytes (its URL is named by it)."""
        return hashlib.sha256(self.data).hexdigest()


def web_picture(path: Path) -> WebPicture:
    """The published version of a picture the loader accepted (image_problem): the file as it
    is, or scaled down (turned upright as the camera said) when it is larger than a web page
    needs; with narrower copies (`smaller`, SRCSET_WIDTHS) where it is wider than those.
    Deterministic: the same file gives the same bytes."""
    with Image.open(path) as image:
        turned = image.getexif().get(_ORIENTATION) in _TURNED
        width, height = image.size[::-1] if turned else image.size
        fmt = image.format or "PNG"
        upright = ImageOps.exif_transpose(image)
        icc = image.info.get("icc_profile")
    shown = (
        width
        if max(width, height) <= WEB_PICTURE_MAX_PX
        else (width * WEB_PICTURE_MAX_PX // max(width, height))
    )
    # Only where a copy saves much: a 1000 px picture gets a 480 px one, not a 960 px one.
    narrower = [w for w in SRCSET_WIDTHS if w < shown * 0.8]
    smaller = tuple(_scaled(upright, fmt, icc, (w, 1 << 20)) for w in narrower)
    if max(width, height) <= WEB_PICTURE_MAX_PX:
        return WebPicture(path.read_bytes(), width, height, smaller)
    whole = _scaled(upright, fmt, icc, (WEB_PICTURE_MAX_PX, WEB_PICTURE_MAX_PX))
    return replace(whole, smaller=smaller)


def _scaled(upright: Image.Image, fmt: str, icc: object, box: tuple[int, int]) -> WebPicture:
    """A copy of `upright` that fits in `box`, saved in `fmt` (JPEG stays JPEG, else PNG)."""
    upright = upright.copy()
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if _has_transparency(upright) else "RGB")
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    upright.thumbnail(box, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    options: dict[str, object] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        upright.save(buffer, "JPEG", quality=85, optimize=True, **options)
    else:
        upright.save(buffer, "PNG", optimize=True, **options)
    return WebPicture(buffer.getvalue(), *upright.size)
