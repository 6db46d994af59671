"""Any message content as plain text, for channels that carry only text (SMS, Weibo's
private messages, WeChat's surveys): menus become numbered options, cards their fields,
answers their parts, a survey "reply with a number".
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            self.out.append(f" ({self._href})")
            self._href = None
        if tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def menu_lines(content: dict[str, Any]) -> list[str]:
    """A menu's text and its buttons as ``1. label`` lines; a customer's digit answers it
    (``menu_choice``)."""
    lines = [content["text"]] if content.get("text") else []
    lines += [f"{n}. {b['label']}" for n, b in enumerate(content.get("buttons", []), 1)]
    return lines


def menu_choice(content: dict[str, Any], reply: str) -> dict[str, Any] | None:
    """The button a reply like ``2`` picks from ``content`` (a menu), as the text message
    a tap on it is; None when the reply is not one of its numbers."""
    said = reply.strip().rstrip(".")
    buttons = content.get("buttons") or []
    if not said.isdigit() or not 1 <= int(said) <= len(buttons):
        return None
    button = buttons[int(said) - 1]
    return {"type": "text", "text": button["label"], "button_id": button["id"]}


def survey_text(content: dict[str, Any]) -> str:
    """A satisfaction survey as "reply with a number" (``satisfaction.replies`` reads the
    answer): the prompt, a line per score with its label, and how to answer."""
    options = content.get("options", [])
    lines = [str(content.get("prompt", ""))]
    lines += [f"{o['score']} {o['label']}" for o in options]
    top = options[-1]["score"] if options else 5
    hint = f"请回复数字 1-{top} 进行评价"
    if content.get("comment"):
        hint += f"，可在数字后附上您的意见，如“{top} 很满意”"
    return "\n".join([*lines, hint + "。"])


def plain_text(content: dict[str, Any]) -> str:
    """``content`` (a type of docs/protocol.md §5) as text; empty when it has none."""
    kind = content.get("type")
    if kind == "text":
        return str(content.get("text", ""))
    if kind == "rich":
        return html_text(str(content.get("html", "")))
    if kind == "menu":
        return "\n".join(menu_lines(content))
    if kind == "survey":
        return survey_text(content)
    if kind == "answer":
        return "\n\n".join(t for t in (plain_text(p) for p in content.get("parts", [])) if t)
    if kind == "card":
        lines = [content["title"]]
        lines += [content[k] for k in ("price", "description") if content.get(k)]
        lines += [f"{f['label']}: {f['value']}" for f in content.get("fields", [])]
        if content.get("url"):
            lines.append(content["url"])
        return "\n".join(lines)
    if kind == "location":
        where = " ".join(str(content[k]) for k in ("name", "address") if content.get(k))
        point = f"{content['lat']},{content['lng']}"
        return f"{where} ({point})" if where else point
    if kind in ("image", "audio", "video"):
        return str(content["url"])
    if kind == "file":
        return f"{content['name']}: {content['url']}"
    return ""


def split_text(text: str, limit: int) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at a line break or a space
    where there is one in the last fifth of a part."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit + 1), rest.rfind(" ", 0, limit + 1))
        if cut < limit * 4 // 5:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
