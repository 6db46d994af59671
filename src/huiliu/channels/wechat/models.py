"""The access token of each WeChat account, shared by every process of a deployment.

WeChat gives an app one valid access token at a time (fetching a new one retires the old
after a few minutes) and caps the fetches a day, so the server and its workers keep the one
they have in the database rather than each fetching its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from huiliu.db.base import Base, BigId, UTCDateTime, utcnow


class WechatAccessToken(Base):
    __tablename__ = "wechat_access_tokens"

    # The channel account's id; no foreign key, so deleting an account needs no change in the
    # channel core (a left-over row is a dead token, never used again).
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    appid: Mapped[str] = mapped_column(String(64))  # a changed appid makes the row stale
    access_token: Mapped[str] = mapped_column(String(600))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
