"""An agent's or the bot's message → the reply mail: threaded (In-Reply-To, References,
``Re:`` the customer's subject), with a Reply-To carrying the conversation's signed token,
text and HTML alternatives, and the files of file and image messages attached from
Huiliu's own store (never fetched over HTTP). A satisfaction survey becomes links to its
rating page (``/rate/{token}``, one per score)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import select

from huiliu.channels.base import Outgoing
from huiliu.channels.email import threads
from huiliu.channels.email.settings import EmailConfig
from huiliu.conversations.models import Message, SenderType
from huiliu.db import Database
from huiliu.db.base import utcnow
from huiliu.errors import NotFound
from huiliu.files import service as files_service
from huiliu.satisfaction.models import Survey

MAX_REFERENCES = 20  # RFC 5322 asks to keep References short; the newest ones matter
_FILE_URL = re.compile(r"/files/([A-Za-z0-9_-]{32})/")
_RE = re.compile(r"^\s*((re|aw|sv|回复|答复)\s*[:：]\s*)+", re.IGNORECASE)


class CannotCompose(ValueError):
    """The message has no e-mail form (the reason is the delivery's error)."""


@dataclass(frozen=True, slots=True)
class Composed:
    message: EmailMessage
    message_id: str


async def customer_subject(db: Database, conversation_id: int) -> str | None:
    """The subject of the customer's newest mail in the conversation."""
    async with db.read() as session:
        rows = await session.scalars(
            select(Message.content)
            .where(
                Message.conversation_id == conversation_id,
                Message.sender_type == SenderType.contact,
            )
            .order_by(Message.seq.desc())
            .limit(50)
        )
        for content in rows:
            subject = (content or {}).get("subject")
            if subject:
                return str(subject)
    return None


def reply_subject(subject: str | None) -> str:
    if not subject:
        return "Re: your message"
    return "Re: " + _RE.sub("", subject).strip()


async def compose(
    db: Database, secret: str, config: EmailConfig, outgoing: Outgoing, *, public_url: str = ""
) -> Composed:
    """``public_url``: where customers reach Huiliu (the account's, else HUILIU_PUBLIC_URL),
    for the rating page's links."""
    recipient = outgoing.recipient
    msg = EmailMessage()
    msg["From"] = Address(config.display_name, config.local, config.domain)
    msg["To"] = Address(recipient.name or "", addr_spec=recipient.external_id)
    msg["Reply-To"] = Address(
        config.display_name,
        addr_spec=threads.reply_address(
            secret, outgoing.account_id, config.address, outgoing.conversation_id
        ),
    )
    theirs = await customer_subject(db, outgoing.conversation_id)
    own = outgoing.message.content.get("subject")
    # A reply takes the customer's subject; a mail we start (a notice) its own.
    msg["Subject"] = reply_subject(theirs) if theirs or not own else str(own)
    msg["Date"] = format_datetime(utcnow())
    message_id = make_msgid(idstring=f"huiliu.{outgoing.message.id}", domain=config.domain)
    msg["Message-ID"] = message_id
    ids = [i for i in outgoing.thread if i.startswith("<") and i.endswith(">")]
    if ids:
        msg["In-Reply-To"] = _last_inbound(outgoing) or ids[-1]
        msg["References"] = " ".join(ids[-MAX_REFERENCES:])
    if outgoing.message.sender.type in (SenderType.bot, SenderType.system):
        # RFC 3834: their auto-responders must not answer ours.
        msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All" if msg["Auto-Submitted"] else "OOF"
    content = outgoing.message.content
    files: list[tuple[str, str]] = []
    if content.get("type") == "survey":
        link = await _rating_link(db, outgoing.tenant_id, content, public_url)
        text, rich = survey_body(content, link)
    else:
        text, rich, files = _body(content)
    msg.set_content(text)
    msg.add_alternative(rich, subtype="html")
    for url, name in files:
        await _attach(db, msg, outgoing.tenant_id, url, name)
    return Composed(msg, message_id)


def _last_inbound(outgoing: Outgoing) -> str | None:
    """The customer's newest mail (ours carry ``.huiliu.`` in their Message-ID)."""
    theirs = [i for i in outgoing.thread if i.startswith("<") and ".huiliu." not in i]
    return theirs[-1] if theirs else None


def _body(content: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
    """(plain text, HTML, files to attach as (url, name))."""
    kind = content.get("type")
    if kind == "text":
        text = str(content["text"])
        return text, _paragraphs(text), []
    if kind == "rich":
        rich = str(content["html"])
        return _plain(rich), rich, []
    if kind in ("image", "file"):
        name = str(content.get("name") or ("image" if kind == "image" else "file"))
        url = str(content["url"])
        if _FILE_URL.search(url) is None:  # not in our store: send the link
            link = f'<p><a href="{html.escape(url)}">{html.escape(name)}</a></p>'
            return f"{name}: {url}", link, []
        return f"[{name}]", f"<p>[{html.escape(name)}]</p>", [(url, name)]
    if kind == "card":
        lines = [str(content["title"])]
        lines += [str(content[k]) for k in ("price", "description") if content.get(k)]
        lines += [f"{f['label']}: {f['value']}" for f in content.get("fields", [])]
        if content.get("url"):
            lines.append(str(content["url"]))
        return "\n".join(lines), _paragraphs("\n".join(lines)), []
    if kind == "menu":
        lines = [str(content["text"])] if content.get("text") else []
        lines += [f"{n}. {b['label']}" for n, b in enumerate(content["buttons"], start=1)]
        return "\n".join(lines), _paragraphs("\n".join(lines)), []
    if kind == "answer":
        texts, htmls, files = [], [], []
        for part in content["parts"]:
            t, h, f = _body(part)
            texts.append(t)
            htmls.append(h)
            files += f
        return "\n\n".join(texts), "\n".join(htmls), files
    raise CannotCompose(f"a {kind} message cannot be sent by e-mail")


async def _rating_link(db: Database, tenant_id: int, content: dict[str, Any], base: str) -> str:
    async with db.read() as session:
        survey = await session.get(Survey, content.get("survey_id"))
    if survey is None or survey.tenant_id != tenant_id:
        raise CannotCompose("the survey is no longer stored")
    if not base:
        raise CannotCompose("no public URL to link the rating page to (HUILIU_PUBLIC_URL)")
    return f"{base.rstrip('/')}/rate/{survey.token}"


def survey_body(content: dict[str, Any], link: str) -> tuple[str, str]:
    """The survey as mail: the prompt, then each score as a link to the rating page with the
    score chosen (one tap from a phone's mail app), the page's own link last."""
    options = content.get("options", [])
    prompt = str(content.get("prompt", ""))
    lines = [prompt, ""]
    lines += [f"{o['score']} {o['label']}：{link}?score={o['score']}" for o in options]
    lines += ["", f"或打开评价页面：{link}"]
    button = (
        '<a href="{href}" style="display:inline-block;margin:4px 6px 4px 0;padding:10px 14px;'
        "border-radius:6px;background:#2563eb;color:#ffffff;text-decoration:none;"
        'font-size:15px">{label}</a>'
    )
    buttons = "".join(
        button.format(
            href=html.escape(f"{link}?score={o['score']}"), label=html.escape(str(o["label"]))
        )
        for o in options
    )
    rich = (
        f"<p>{html.escape(prompt)}</p><p>{buttons}</p>"
        f'<p style="color:#666;font-size:13px">或打开评价页面：'
        f'<a href="{html.escape(link)}">{html.escape(link)}</a></p>'
    )
    return "\n".join(lines), rich


def _paragraphs(text: str) -> str:
    return "".join(
        f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>"
        for block in re.split(r"\n{2,}", text.strip())
    )


def _plain(rich: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h\d>", "\n", rich)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip() or " "


async def _attach(db: Database, msg: EmailMessage, tenant_id: int, url: str, name: str) -> None:
    found = _FILE_URL.search(url)
    assert found is not None  # _body only lists our own files
    try:
        async with db.read() as session:
            row = await files_service.get_by_key(session, key=found.group(1))
            data, mime, stored_name, owner = row.data, row.mime, row.name, row.tenant_id
    except NotFound:
        raise CannotCompose(f"the file {name!r} is no longer stored") from None
    if owner != tenant_id:
        raise CannotCompose(f"the file {name!r} is not this merchant's")
    maintype, _, subtype = mime.partition("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=stored_name)
