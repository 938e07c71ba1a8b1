"""Staff photos for 亮牌 (the evaluator tablet shows who serves at the window).

Whatever file is given, what is stored is a fresh JPEG of at most ``SIZE`` pixels, 3:4 like an
ID photo: re-encoding drops EXIF (GPS position, camera serial) and anything a crafted file could
carry, and keeps the database small (about 15-30 KB a photo).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = (240, 320)  # width, height: 3:4
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
QUALITY = 85


class PhotoError(ValueError):
    """The file is not a photo we can use; the message says why."""


def prepare_photo(data: bytes) -> bytes:
    """A clean 240x320 JPEG from an image file's bytes (JPEG, PNG, WebP, BMP...)."""
    if not data:
        raise PhotoError("the photo file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise PhotoError(f"the photo file is {len(data) // 1024 // 1024} MB; at most 10 MB")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError(f"the photo is {probe.width}x{probe.height} pixels; at most 40 megapixels")
            probe.verify()  # a truncated or corrupt file fails here, before any decoding
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            if upright.width < 60 or upright.height < 80:
                raise PhotoError(f"the photo is {upright.width}x{upright.height} pixels; at least 60x80")
            fitted = ImageOps.fit(upright.convert("RGB"), SIZE, method=Image.Resampling.LANCZOS, centering=(0.5, 0.35))
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise PhotoError(f"not an image file Pillow can read ({exc.__class__.__name__})") from None
    except OSError as exc:
        raise PhotoError(f"the image file is damaged: {exc}") from None
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
