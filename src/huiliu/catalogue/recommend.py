"""Product cards for the conversation an agent serves: what the customer asked about in it,
the product pages they opened lately, what they bought and more of its kind — each card
with why, ready to send as it is.

Scores add up: a product the conversation names (its name, category or keywords share words
with what the customer wrote) 3 a word of two or more characters; its page opened in the
last 30 days 2, and 0.5 more a visit after the first (up to 2 more); bought before 1 (the
after-sales case: a question about what they have); of a category they bought 0.5. Products
off sale never come. The candidates are found in SQL first (names containing the customer's
longest words, the pages' products, the orders'), so a large catalogue costs no more.
"""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import String, Table, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncConnection

from huiliu.bot.text import Analyzer, normalize
from huiliu.catalogue.schemas import Reason, Recommendation
from huiliu.catalogue.service import out, products
from huiliu.contacts.models import ContactOrder, ContactVisit
from huiliu.conversations.models import Message, SenderType
from huiliu.db.base import LIKE_ESCAPE, contains

messages = cast(Table, Message.__table__)
visits = cast(Table, ContactVisit.__table__)
orders = cast(Table, ContactOrder.__table__)
VIEWED_DAYS = 30
SEARCH_WORDS = 12
CANDIDATES = 500


@functools.cache
def _analyzer() -> Analyzer:
    return Analyzer()


def words(text: str) -> set[str]:
    """The words that can name a product: two characters or more."""
    return {w for w in _analyzer().words(normalize(text)) if len(w) >= 2}


def page(url: str | None) -> str | None:
    """A page's address without query, fragment or trailing slash, in lower case."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return f"{parts.netloc.lower()}{parts.path.rstrip('/').lower()}" or None


def card(product: Any) -> dict[str, Any]:
    shown = out(product)
    content: dict[str, Any] = {"type": "card", "card_type": "product", "title": shown.name}
    if shown.url:
        content["url"] = shown.url
    if shown.image_url:
        content["image_url"] = shown.image_url
    if shown.price is not None:
        content["price"] = (
            f"¥{shown.price}" if shown.currency == "CNY" else f"{shown.price} {shown.currency}"
        )
    if shown.description:
        content["description"] = shown.description[:1000]
    return content


async def recommend(
    conn: AsyncConnection,
    *,
    tenant_id: int,
    contact_id: int,
    conversation_id: int,
    now: datetime,
    limit: int = 5,
) -> list[Recommendation]:
    texts = (
        (
            await conn.execute(
                select(messages.c.content)
                .where(
                    messages.c.conversation_id == conversation_id,
                    messages.c.sender_type == SenderType.contact.value,
                    messages.c.content_type == "text",
                )
                .order_by(messages.c.seq.desc())
                .limit(30)
            )
        )
        .scalars()
        .all()
    )
    asked = words(" ".join(str((c or {}).get("text") or "") for c in texts))
    viewed = Counter(
        p
        for p in (
            page(u)
            for u in (
                await conn.execute(
                    select(visits.c.url).where(
                        visits.c.tenant_id == tenant_id,
                        visits.c.contact_id == contact_id,
                        visits.c.started_at >= now - timedelta(days=VIEWED_DAYS),
                    )
                )
            ).scalars()
        )
        if p
    )
    bought: set[str] = set()
    for items in (
        await conn.execute(
            select(orders.c["items"]).where(
                orders.c.tenant_id == tenant_id, orders.c.contact_id == contact_id
            )
        )
    ).scalars():
        bought |= {str(i.get("product_id")) for i in items or [] if i.get("product_id")}
    bought_categories = (
        set(
            (
                await conn.execute(
                    select(products.c.category).where(
                        products.c.tenant_id == tenant_id,
                        products.c.external_id.in_(sorted(bought)),
                        products.c.category.is_not(None),
                    )
                )
            ).scalars()
        )
        if bought
        else set()
    )
    found: list[Any] = []
    if asked:
        longest = sorted(asked, key=len, reverse=True)[:SEARCH_WORDS]
        text_of = [products.c.name, products.c.category, sql_cast(products.c.keywords, String)]
        found += (
            await conn.execute(
                select(products)
                .where(
                    products.c.tenant_id == tenant_id,
                    products.c.active.is_(True),
                    or_(
                        *[
                            col.ilike(contains(w), escape=LIKE_ESCAPE)
                            for w in longest
                            for col in text_of
                        ]
                    ),
                )
                .limit(CANDIDATES)
            )
        ).all()
    if viewed or bought or bought_categories:
        conditions = []
        if viewed:
            conditions.append(products.c.url.is_not(None))
        if bought:
            conditions.append(products.c.external_id.in_(sorted(bought)))
        if bought_categories:
            conditions.append(products.c.category.in_(sorted(bought_categories)))
        found += (
            await conn.execute(
                select(products)
                .where(
                    products.c.tenant_id == tenant_id, products.c.active.is_(True), or_(*conditions)
                )
                .limit(CANDIDATES * 4)
            )
        ).all()
    best: dict[int, Recommendation] = {}
    for product in found:
        if product.id in best:
            continue
        score, reasons, why = 0.0, list[Reason](), list[str]()
        named = asked & words(" ".join([product.name, product.category or "", *product.keywords]))
        if named:
            score += 3.0 * len(named)
            reasons.append("asked")
            why.append("the customer wrote " + "、".join(sorted(named)))
        times = viewed.get(page(product.url) or "", 0)
        if times:
            score += 2.0 + min(2.0, 0.5 * (times - 1))
            reasons.append("viewed")
            why.append(f"opened its page {times} time(s) in {VIEWED_DAYS} days")
        if product.external_id in bought:
            score += 1.0
            reasons.append("bought")
            why.append("bought it before")
        elif product.category and product.category in bought_categories:
            score += 0.5
            reasons.append("same_category")
            why.append(f"bought from {product.category} before")
        if score > 0:
            best[product.id] = Recommendation(
                product=out(product),
                score=round(score, 2),
                reasons=reasons,
                detail="; ".join(why),
                card=card(product),
            )
    ranked = sorted(best.values(), key=lambda r: (-r.score, r.product.name))
    return ranked[:limit]
