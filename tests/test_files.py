"""Uploads: any token stores a file in the database and gets an absolute URL whose random key
is the capability; images are sniffed (type and size from their bytes) and served inline,
everything else as an attachment, always with nosniff and a sandboxing CSP."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from huiliu.db import Database
from huiliu.files import sniff
from huiliu.files.models import StoredFile
from huiliu.files.service import clean_name
from tests.clients import bearer, widget_session
from tests.conftest import make_settings
from tests.factories import World
from tests.server import ThreadServer
from tests.services import Backend, free_port

SMALL_LIMIT = 2048


def png(width: int, height: int) -> bytes:
    """A real PNG, all white."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int) -> bytes:
    """The start of a JPEG: SOI, a JFIF APP0 segment, a baseline frame header."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00;"


def webp(kind: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + kind + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_extended(width: int, height: int) -> bytes:
    return webp(
        b"VP8X",
        b"\x00\x00\x00\x00"
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little"),
    )


def webp_lossy(width: int, height: int) -> bytes:
    return webp(b"VP8 ", b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height))


def webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return webp(b"VP8L", b"\x2f" + bits.to_bytes(4, "little"))


@pytest.mark.parametrize(
    ("data", "mime", "size"),
    [
        (png(3, 2), "image/png", (3, 2)),
        (jpeg(640, 480), "image/jpeg", (640, 480)),
        (gif(16, 9), "image/gif", (16, 9)),
        (webp_extended(1920, 1080), "image/webp", (1920, 1080)),
        (webp_lossy(300, 200), "image/webp", (300, 200)),
        (webp_lossless(128, 64), "image/webp", (128, 64)),
        (b"\xff\xd8\xff\xe0", "image/jpeg", (None, None)),  # truncated: a JPEG, size unknown
    ],
)
def test_images_are_known_by_their_bytes_with_their_size(
    data: bytes, mime: str, size: tuple[int | None, int | None]
) -> None:
    image = sniff.image(data)
    assert image is not None
    assert (image.mime, (image.width, image.height)) == (mime, size)


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\n", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"<html>", b"RIFF\x00\x00"],
)
def test_anything_else_is_no_image(data: bytes) -> None:
    assert sniff.image(data) is None


def test_names_lose_their_path_and_control_characters() -> None:
    assert clean_name("../../发票 2026.pdf") == "发票 2026.pdf"
    assert clean_name("C:\\Users\\me\\a.txt") == "a.txt"
    assert clean_name("evil\u202egnp.exe") == "evilgnp.exe"
    assert clean_name(".htaccess") == "htaccess"
    assert clean_name("") == "file"
    long = clean_name("x" * 300 + ".pdf")
    assert len(long) == 200
    assert long.endswith(".pdf")


@pytest.fixture(scope="module")
def small_server(backend: Backend) -> Iterator[ThreadServer]:
    """A second node of the same deployment, with a small upload limit."""
    srv = ThreadServer(make_settings(backend, max_upload_bytes=SMALL_LIMIT), free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
async def small(small_server: ThreadServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=small_server.base_url, timeout=10) as client:
        yield client


async def upload(
    http: httpx.AsyncClient, token: str, name: str, data: bytes, mime: str = "application/pdf"
) -> httpx.Response:
    return await http.post(
        "/api/v1/files", files={"file": (name, data, mime)}, headers=bearer(token)
    )


async def stored(db: Database, world: World) -> int:
    async with db.read() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(StoredFile)
                .where(StoredFile.tenant_id == world.tenant_id)
            )
            or 0
        )


async def test_a_visitors_image_is_stored_and_served_inline(
    http: httpx.AsyncClient, world: World, db: Database
) -> None:
    session = await widget_session(http, world.widget_key)
    data = png(3, 2)
    r = await upload(http, session["visitor_token"], "截图.png", data, "image/png")
    assert r.status_code == 201, r.text
    body = r.json()
    key = body["url"].split("/files/")[1].split("/")[0]
    assert len(key) == 32
    assert body == {
        "url": f"{http.base_url}/files/{key}/{quote('截图.png')}",
        "name": "截图.png",
        "size": len(data),
        "mime": "image/png",
        "width": 3,
        "height": 2,
    }
    got = await http.get(body["url"])  # no token: the key is the capability
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"] == f"inline; filename*=UTF-8''{quote('截图.png')}"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert got.headers["cache-control"] == "private, max-age=31536000, immutable"
    async with db.read() as s:
        row = (await s.scalars(select(StoredFile).where(StoredFile.key == key))).one()
    assert (row.uploader_type, row.uploader_id) == ("contact", session["contact_id"])


async def test_anything_but_a_sniffed_image_is_an_attachment(
    http: httpx.AsyncClient, world: World
) -> None:
    token = world.agent.token
    page = b"<html><script>alert(document.cookie)</script></html>"
    for name, data, declared, mime in [
        ("../../发票 2026.pdf", b"%PDF-1.7\n...", "application/pdf", "application/pdf"),
        ("evil.html", page, "text/html", "text/html"),
        ("fake.png", page, "image/png", "application/octet-stream"),  # not PNG bytes
        ("x.svg", b"<svg onload='alert(1)'/>", "image/svg+xml", "application/octet-stream"),
    ]:
        r = await upload(http, token, name, data, declared)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["mime"] == mime
        assert "width" not in body
        assert "height" not in body
        got = await http.get(body["url"])
        assert got.content == data
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"] == (
            f"attachment; filename*=UTF-8''{quote(body['name'], safe='')}"
        )
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert body["name"] == "x.svg"


async def test_every_node_serves_every_file(
    http: httpx.AsyncClient, small: httpx.AsyncClient, world: World
) -> None:
    data = gif(16, 9)
    r = await upload(http, world.agent.token, "a.gif", data, "image/gif")
    url = r.json()["url"]
    got = await small.get(
        url.replace(str(http.base_url).rstrip("/"), str(small.base_url).rstrip("/"))
    )
    assert got.status_code == 200
    assert got.content == data


async def test_unknown_keys_are_not_found(http: httpx.AsyncClient) -> None:
    for path in (
        "/files/" + "A" * 32 + "/x.png",
        "/files/short/x.png",
        "/files/" + "A" * 40 + "/x",
    ):
        r = await http.get(path)
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"


async def test_too_large_uploads_are_refused_and_nothing_is_stored(
    small: httpx.AsyncClient, world: World, db: Database
) -> None:
    token = world.agent.token
    before = await stored(db, world)
    # Just over the limit (read and measured), far over (refused by its Content-Length),
    # and far over without a Content-Length (cut off while streaming).
    for data in (b"x" * (SMALL_LIMIT + 1), b"x" * 40_000):
        r = await upload(small, token, "big.bin", data)
        assert r.status_code == 413, r.text
        assert r.json() == {
            "code": "too_large",
            "detail": f"the file is larger than {SMALL_LIMIT} bytes",
            "field": "file",
        }
    boundary = "huiliu-test-boundary"

    async def chunked() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        for _ in range(40):
            yield b"y" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    r = await small.post(
        "/api/v1/files",
        content=chunked(),
        headers={**bearer(token), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413
    r = await upload(small, token, "fits.bin", b"z" * SMALL_LIMIT)
    assert r.status_code == 201
    assert await stored(db, world) == before + 1


@pytest.mark.parametrize(
    ("request_kwargs", "detail"),
    [
        ({"files": {"file": ("empty.txt", b"", "text/plain")}}, "the file is empty"),
        (
            {"files": {"other": ("a.txt", b"hi", "text/plain")}},
            "the multipart field 'file' is missing",
        ),
        (
            {"data": {"file": "not a file"}, "files": {"x": ("a.txt", b"1", "text/plain")}},
            "the multipart field 'file' is missing",
        ),
        (
            {"content": b"raw bytes", "headers": {"content-type": "application/octet-stream"}},
            "send the file as multipart/form-data in the field 'file'",
        ),
        (
            {
                "files": [
                    ("file", ("a.txt", b"a", "text/plain")),
                    ("file", ("b.txt", b"b", "text/plain")),
                ]
            },
            "the multipart body is malformed",
        ),
    ],
)
async def test_bad_uploads_are_refused_clearly_and_nothing_is_stored(
    http: httpx.AsyncClient, world: World, db: Database, request_kwargs: dict[str, Any], detail: str
) -> None:
    before = await stored(db, world)
    kwargs = dict(request_kwargs)
    headers = {**bearer(world.agent.token), **kwargs.pop("headers", {})}
    r = await http.post("/api/v1/files", headers=headers, **kwargs)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid"
    assert r.json()["detail"].startswith(detail)
    assert await stored(db, world) == before


async def test_uploading_needs_a_token(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/v1/files", files={"file": ("a.txt", b"hi", "text/plain")})
    assert r.status_code == 401
    assert r.json()["code"] == "missing_token"
