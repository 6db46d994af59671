from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from huiliu.contacts.schemas import Url

Keyword = Annotated[str, Field(min_length=1, max_length=32)]


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class ProductIn(BaseModel):
    """A product as the merchant's system knows it; sending it again replaces it."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_stripped)]
    price: Decimal | None = Field(default=None, ge=0, le=Decimal("100000000"), decimal_places=2)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    url: Url | None = Field(default=None, description="its page on the merchant's site")
    image_url: Url | None = None
    category: Annotated[str, Field(max_length=50)] | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)
    description: Annotated[str, Field(max_length=1000)] | None = None
    active: bool = Field(default=True, description="false: off sale, never recommended")


class ProductItem(ProductIn):
    product_id: Annotated[str, Field(min_length=1, max_length=100)]


class ProductsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products: list[ProductItem] = Field(min_length=1, max_length=500)


class ProductOut(BaseModel):
    product_id: str
    name: str
    price: str | None
    currency: str
    url: str | None
    image_url: str | None
    category: str | None
    keywords: list[str]
    description: str | None
    active: bool
    updated_at: datetime


class Synced(BaseModel):
    created: int
    updated: int


Reason = Literal["asked", "viewed", "bought", "same_category"]


class Recommendation(BaseModel):
    product: ProductOut
    score: float
    reasons: list[Reason] = Field(
        description="asked: the conversation names it; viewed: the customer opened its page; "
        "bought: in their orders; same_category: like what they bought"
    )
    detail: str = Field(description="why, for the agent")
    card: dict[str, Any] = Field(description="the card content to send as it is")
