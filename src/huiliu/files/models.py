from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, UTCDateTime, utcnow


class StoredFile(Base):
    """An uploaded file. Its bytes live in the database, so every process of a scaled-out
    deployment serves every file; ``key`` (192 random bits) is the capability that the
    file's URL carries."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # contact (a visitor) or agent (any account), and their id.
    uploader_type: Mapped[str] = mapped_column(String(16))
    uploader_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
