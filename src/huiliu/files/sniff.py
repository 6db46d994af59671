"""What an upload is, from its first bytes: the image types browsers show inline (PNG,
JPEG, GIF, WebP) and their size in pixels. Everything else is an attachment to download;
the name or the type the uploader declares never decides how a file is served."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Image:
    mime: str
    width: int | None = None
    height: int | None = None


def image(data: bytes) -> Image | None:
    """The image ``data`` holds (its size if the header gives one), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Image("image/png", *_png(data))
    if data.startswith(b"\xff\xd8\xff"):
        return Image("image/jpeg", *_jpeg(data))
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return Image("image/gif", *_gif(data))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Image("image/webp", *_webp(data))
    return None


Size = tuple[int, int] | tuple[None, None]
_UNKNOWN: Size = (None, None)


def _png(data: bytes) -> Size:
    # The IHDR chunk comes first: length, "IHDR", width, height (big-endian).
    if len(data) < 24 or data[12:16] != b"IHDR":
        return _UNKNOWN
    width, height = struct.unpack(">II", data[16:24])
    return _plausible(width, height)


def _gif(data: bytes) -> Size:
    if len(data) < 10:
        return _UNKNOWN
    width, height = struct.unpack("<HH", data[6:10])
    return _plausible(width, height)


def _webp(data: bytes) -> Size:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # extended: the canvas size, 24-bit, minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return _plausible(width, height)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":  # lossy
        width, height = struct.unpack("<HH", data[26:30])
        return _plausible(width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless: 14 bits each
        bits = int.from_bytes(data[21:25], "little")
        return _plausible((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return _UNKNOWN


# Start-of-frame markers carry the size; C4 (Huffman tables), C8 and CC are not frames.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> Size:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return _UNKNOWN
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            if i + 9 > len(data):
                return _UNKNOWN
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return _plausible(width, height)
        if marker == 0xDA or length < 2:  # image data starts: no frame header before it
            return _UNKNOWN
        i += 2 + length
    return _UNKNOWN


def _plausible(width: int, height: int) -> Size:
    return (width, height) if 0 < width <= 65535 and 0 < height <= 65535 else _UNKNOWN
