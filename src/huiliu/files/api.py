"""Uploads over REST: ``POST /api/v1/files`` (any token) and ``GET /files/{key}/{name}``.

The download route takes no token: the URL's 192-bit random key is the capability, so an
image in a chat shows in any client (an ``<img>`` sends no Authorization header) and a link
can be opened in a new tab. Whatever a file holds, it is served so that the browser never
runs it: only sniffed images are inline; everything else is an octet-stream attachment, and
every answer carries ``nosniff`` and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from huiliu.auth.deps import PrincipalDep, RuntimeDep
from huiliu.errors import InvalidInput, TooLarge
from huiliu.files import service
from huiliu.files.schemas import FileOut

router = APIRouter(tags=["files"])

# Room for the multipart boundaries and part headers around the file itself.
ENVELOPE_BYTES = 16 * 1024
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
SERVE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    # The key never names other bytes: a file's URL may be cached for good.
    "Cache-Control": "private, max-age=31536000, immutable",
}


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the file is larger than {limit} bytes", field="file")


@router.post(
    "/api/v1/files", status_code=201, response_model_exclude_none=True, openapi_extra=UPLOAD_BODY
)
async def upload(request: Request, principal: PrincipalDep, runtime: RuntimeDep) -> FileOut:
    """Store a file sent as the multipart field ``file``; put the returned ``url`` in an
    ``image`` or ``file`` message."""
    limit = runtime.settings.max_upload_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + ENVELOPE_BYTES:
        raise _too_large(limit)  # refused before reading a byte of it
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidInput("send the file as multipart/form-data in the field 'file'")
    form = await _read_form(request, limit)
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise InvalidInput("the multipart field 'file' is missing", field="file")
        data = await part.read(limit + 1)
        if len(data) > limit:
            raise _too_large(limit)
        if not data:
            raise InvalidInput("the file is empty", field="file")
        name, declared = part.filename, part.content_type
    finally:
        await form.close()
    async with runtime.db.write() as session:
        row, image = await service.create(
            session, uploader=principal, name=name, declared=declared, data=data
        )
        key, stored_name, mime = row.key, row.name, row.mime
    return FileOut(
        url=f"{request.base_url}files/{key}/{quote(stored_name, safe='')}",
        name=stored_name,
        size=len(data),
        mime=mime,
        width=image.width if image else None,
        height=image.height if image else None,
    )


async def _read_form(request: Request, limit: int) -> FormData:
    """The multipart body, read while counting: a body without a Content-Length (or with a
    false one) is cut off as soon as it passes the limit, not spooled to disk whole."""

    async def counted() -> AsyncGenerator[bytes, None]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit + ENVELOPE_BYTES:
                raise _too_large(limit)
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=1, max_fields=8)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise InvalidInput(f"the multipart body is malformed: {exc.message}") from None


@router.get("/files/{key}/{name}")
async def download(key: str, name: str, runtime: RuntimeDep) -> Response:
    """A stored file. ``name`` is for people and browsers (the saved file's name); the key
    alone finds the file."""
    async with runtime.db.read() as session:
        row = await service.get_by_key(session, key=key)
    filename = quote(row.name, safe="")
    if row.mime.startswith("image/"):  # only sniffed images carry an image type
        media_type, disposition = row.mime, f"inline; filename*=UTF-8''{filename}"
    else:
        media_type, disposition = service.DOWNLOAD, f"attachment; filename*=UTF-8''{filename}"
    headers = {**SERVE_HEADERS, "Content-Disposition": disposition}
    return Response(content=row.data, media_type=media_type, headers=headers)
