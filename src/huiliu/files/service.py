"""Storing and finding uploads. Names are cleaned, types sniffed (``sniff.py``)."""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from huiliu.auth.principal import Principal
from huiliu.errors import NotFound
from huiliu.files import sniff
from huiliu.files.models import StoredFile

DOWNLOAD = "application/octet-stream"
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,48}/[a-z0-9][a-z0-9!#$&^_.+-]{0,48}$")


def clean_name(raw: str | None) -> str:
    """The file's own name without any path, control characters or leading dots, at most
    200 characters (keeping the extension)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    name = name.lstrip(".").strip() or "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 200 - len(ext) - 1] + dot + ext if dot and len(ext) <= 20 else name[:200]
    return name


def declared_type(raw: str | None) -> str:
    """The uploader's content type, informational only: never an image type (those come
    from the bytes alone) and never served (attachments go out as octet-stream)."""
    mime = (raw or "").split(";", 1)[0].strip().lower()
    if not _MIME.match(mime) or mime.startswith("image/"):
        return DOWNLOAD
    return mime


async def create(
    session: AsyncSession,
    *,
    uploader: Principal,
    name: str | None,
    declared: str | None,
    data: bytes,
) -> tuple[StoredFile, sniff.Image | None]:
    image = sniff.image(data)
    row = StoredFile(
        tenant_id=uploader.tenant_id,
        key=secrets.token_urlsafe(24),  # 192 bits: 32 URL-safe characters
        name=clean_name(name),
        mime=image.mime if image is not None else declared_type(declared),
        size=len(data),
        data=data,
        uploader_type="contact" if uploader.is_visitor else "agent",
        uploader_id=uploader.id,
    )
    session.add(row)
    await session.flush()
    return row, image


async def get_by_key(session: AsyncSession, *, key: str) -> StoredFile:
    """The file a URL's key names. The one lookup not scoped to a tenant: whoever holds the
    key may read the file (as with the attachment links of other chat products), and the
    key's 192 random bits cannot be guessed."""
    if len(key) != 32:
        raise NotFound("file not found")
    row = (await session.scalars(select(StoredFile).where(StoredFile.key == key))).first()
    if row is None:
        raise NotFound("file not found")
    return row
