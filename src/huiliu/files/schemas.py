from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FileOut(BaseModel):
    """An upload as stored: put ``url`` into an ``image`` or ``file`` message."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="absolute; the random key in it is what grants access")
    name: str
    size: int
    mime: str = Field(
        description="the sniffed image type (image/png, image/jpeg, image/gif, image/webp), "
        "else the type the uploader declared; only images are served inline"
    )
    width: int | None = Field(default=None, description="images, when the header tells")
    height: int | None = None
