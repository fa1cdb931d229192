"""What a workspace logo may be: a small PNG, JPEG or WebP image, recognised by its bytes.

The file's name and the browser's declared type are not trusted: the first bytes say what
it is, and its header must give sane dimensions. SVG is refused: it is a document that can
carry script and links, and a customer's browser would run it. Refusals are messages for
the person choosing the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpResponse

if TYPE_CHECKING:
    from .models import WorkspaceLogo

MAX_BYTES = 512 * 1024
MAX_SIDE = 4000
TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
ACCEPT = ",".join(TYPES.values())  # the file input's accept attribute


class LogoRefused(ValueError):
    """Why this file cannot be the logo, said for people."""


@dataclass(frozen=True)
class Logo:
    content_type: str
    width: int
    height: int


def _png(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise LogoRefused("This PNG file is damaged: its header is missing.")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF and i + 9 <= len(data):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise LogoRefused("This JPEG file is damaged: its size could not be read.")


def _webp(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise LogoRefused("This WebP file is damaged: its size could not be read.")


def check(data: bytes) -> Logo:
    """The logo's type and size, or LogoRefused saying what to upload instead."""
    if not data:
        raise LogoRefused("The file is empty. Choose a PNG, JPEG or WebP image.")
    if len(data) > MAX_BYTES:
        raise LogoRefused(
            f"The file is {len(data) // 1024} KB; a logo may be at most {MAX_BYTES // 1024} KB. "
            "Save it smaller (a few hundred pixels wide is plenty) and try again."
        )
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise LogoRefused(
            "SVG files are not accepted: they can carry scripts. Export the logo as PNG "
            "(or JPEG, WebP) and upload that."
        )
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        kind, (width, height) = "png", _png(data)
    elif data.startswith(b"\xff\xd8\xff"):
        kind, (width, height) = "jpeg", _jpeg(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind, (width, height) = "webp", _webp(data)
    else:
        raise LogoRefused("This file is not a PNG, JPEG or WebP image. Choose one of those.")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise LogoRefused(
            f"The image is {width}×{height} pixels; a logo may be at most {MAX_SIDE}×{MAX_SIDE}."
        )
    return Logo(content_type=TYPES[kind], width=width, height=height)


def response(logo: WorkspaceLogo | None, *, version: str = "") -> HttpResponse:
    """The logo as an image response that can only ever be an image: its own type (checked
    at upload) with ``nosniff``, a policy that runs nothing even if opened on its own, and
    long caching only for a URL naming this exact version (``?v=<digest>``); a plain 404
    when there is none."""
    if logo is None:
        return HttpResponse("No logo.", status=404, content_type="text/plain; charset=utf-8")
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[logo.content_type]
    reply = HttpResponse(bytes(logo.data), content_type=logo.content_type)
    reply["X-Content-Type-Options"] = "nosniff"
    reply["Content-Security-Policy"] = "default-src 'none'; sandbox"
    reply["Content-Disposition"] = f'inline; filename="logo.{extension}"'
    reply["ETag"] = f'"{logo.digest}"'
    reply["Cache-Control"] = (
        "private, max-age=31536000, immutable" if version == logo.digest else "private, no-cache"
    )
    return reply
