"""Huiliu's message contents as WeChat customer-service messages (客服消息).

text → ``text``; rich (a KB answer's HTML) → ``text`` keeping its links (WeChat shows
``<a href>`` in text); menu → ``msgmenu`` (the customer taps an item and WeChat pushes a
text with ``bizmsgmenuid``: the button's id comes back); answer → its parts, consecutive
texts joined; image → uploaded with ``media/upload`` then ``image`` (a link in a text if
WeChat refuses the file); card → ``news`` with its link (a text when it has none); file,
audio, video → a text with the link; location → a text; survey → a text asking for a number
(the customer's reply answers it).
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import nh3

from huiliu.channels.base import Services
from huiliu.channels.plaintext import survey_text
from huiliu.channels.wechat.client import ApiError
from huiliu.errors import NotFound
from huiliu.files import service as files_service
from huiliu.files import sniff

IMAGE_LIMIT = 10 * 1024 * 1024  # WeChat's limit for a temporary image
_BREAKS = re.compile(r"<\s*(br\s*/?|/p|/li|/h[1-6]|/div|/tr)\s*>", re.IGNORECASE)
_FILE_PATH = re.compile(r"^/files/([A-Za-z0-9_-]{32})/")

Upload = Callable[[bytes, str, str], Awaitable[str]]  # data, name, mime → media_id


def plain(html_text: str) -> str:
    """A KB answer's HTML as WeChat text: line breaks for blocks, links kept."""
    text = _BREAKS.sub("\n", html_text)
    text = nh3.clean(text, tags={"a"}, attributes={"a": {"href"}}, link_rel=None)
    text = html.unescape(text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _text(value: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": value}}


def _menu(content: dict[str, Any], head: str = "") -> dict[str, Any]:
    head = "\n".join(p for p in (head, content.get("text") or "") if p)
    return {
        "msgtype": "msgmenu",
        "msgmenu": {
            "head_content": head,
            "list": [{"id": b["id"], "content": b["label"]} for b in content["buttons"]],
            "tail_content": "",
        },
    }


def _card(content: dict[str, Any]) -> dict[str, Any]:
    lines = [content["title"]]
    if content.get("price"):
        lines.append(content["price"])
    lines += [f"{f['label']}：{f['value']}" for f in content.get("fields", [])]
    description = "\n".join([*lines[1:], content.get("description") or ""]).strip()
    if content.get("url"):
        article = {"title": content["title"], "description": description, "url": content["url"]}
        if content.get("image_url"):
            article["picurl"] = content["image_url"]
        return {"msgtype": "news", "news": {"articles": [article]}}
    return _text("\n".join([content["title"], description]).strip())


def _link(label: str, content: dict[str, Any]) -> dict[str, Any]:
    name = content.get("name") or ""
    return _text(f"[{label}] {name} {content['url']}".replace("  ", " "))


async def image_bytes(services: Services, tenant_id: int, url: str) -> tuple[bytes, str]:
    """An image message's bytes: Huiliu's own stored file read by its key (the URL's
    capability), anything else fetched through the guarded client."""
    parts = urlsplit(url)
    match = _FILE_PATH.match(parts.path)
    if match:
        async with services.db.read() as session:
            try:
                row = await files_service.get_by_key(session, key=match.group(1))
            except NotFound:  # not one of ours after all: fetched below
                row = None
            if row is not None and row.tenant_id == tenant_id:
                return row.data, row.name
    async with services.http.stream("GET", url, timeout=10.0) as response:
        response.raise_for_status()
        data = b""
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > IMAGE_LIMIT:
                raise ValueError(f"the image is over {IMAGE_LIMIT // (1024 * 1024)} MB")
    return data, parts.path.rsplit("/", 1)[-1] or "image"


async def render(
    services: Services, tenant_id: int, content: dict[str, Any], upload: Upload
) -> list[dict[str, Any]]:
    """The WeChat messages (without ``touser``) one stored message goes out as."""
    kind = content.get("type")
    if kind == "text":
        return [_text(content["text"])]
    if kind == "rich":
        return [_text(plain(content["html"]) or " ")]
    if kind == "menu":
        return [_menu(content)]
    if kind == "card":
        return [_card(content)]
    if kind == "image":
        return [await _image(services, tenant_id, content, upload)]
    if kind == "file":
        return [_link("文件", content)]
    if kind == "audio":
        return [_link("语音", content)]
    if kind == "video":
        return [_link("视频", content)]
    if kind == "location":
        where = " ".join(x for x in (content.get("name"), content.get("address")) if x)
        return [_text(f"[位置] {where} ({content['lat']}, {content['lng']})".strip())]
    if kind == "answer":
        return await _answer(services, tenant_id, content["parts"], upload)
    if kind == "survey":
        return [_text(survey_text(content))]
    return []  # events, calls: nothing a WeChat customer reads


async def _answer(
    services: Services, tenant_id: int, parts: list[dict[str, Any]], upload: Upload
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    pending: list[str] = []  # texts waiting to be joined into one message

    def flush() -> None:
        if pending:
            out.append(_text("\n\n".join(pending)))
            pending.clear()

    for part in parts:
        if part["type"] == "text":
            pending.append(part["text"])
        elif part["type"] == "rich":
            pending.append(plain(part["html"]))
        elif part["type"] == "menu":
            head = "\n\n".join(pending)
            pending.clear()
            out.append(_menu(part, head))
        else:
            flush()
            out += await render(services, tenant_id, part, upload)
    flush()
    return out


async def _image(
    services: Services, tenant_id: int, content: dict[str, Any], upload: Upload
) -> dict[str, Any]:
    try:
        data, name = await image_bytes(services, tenant_id, content["url"])
        image = sniff.image(data)
        if image is None:
            raise ValueError("not an image")
        media_id = await upload(data, content.get("name") or name, image.mime)
    except (ApiError, ValueError, httpx.HTTPError):
        # WeChat refused the file (type, size) or it could not be read: the link still helps.
        return _link("图片", content)
    return {"msgtype": "image", "image": {"media_id": media_id}}
