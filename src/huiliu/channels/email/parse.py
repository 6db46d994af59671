"""A raw mail → what the channel stores: sender, subject, the text (quoted history trimmed),
sanitized HTML when there is no plain part, attachments, the thread's Message-IDs, and
whether a machine sent it (auto-replies, lists, bounces) so the bot never answers it.

Parsing uses the standard library's ``email`` package with ``policy.default``; a mail
whose MIME structure is broken (no boundary, a part that never starts) is refused whole
rather than stored half."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from huiliu.conversations.content import sanitize_html

# Defects that mean the structure cannot be trusted (as opposed to a sloppy header).
_FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.InvalidBase64LengthDefect,
)
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_DAEMONS = ("mailer-daemon", "postmaster")


class MalformedMail(ValueError):
    """The mail cannot be read; the message says why (it goes back to the sender's server
    or into the event log)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    declared: str
    data: bytes


@dataclass(slots=True)
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str | None
    subject: str | None
    text: str | None  # the plain part, quoted history trimmed
    html: str | None  # sanitized, only when there is no plain part
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # To, Cc, Delivered-To …
    automated: str | None = None  # why a machine sent it (the bot keeps quiet)
    bounce: bool = False
    bounced_ids: list[str] = field(default_factory=list)  # our Message-IDs it reports on
    bounce_reason: str | None = None

    @property
    def thread_ids(self) -> list[str]:
        """References then In-Reply-To: the newest last."""
        ids = list(self.references)
        if self.in_reply_to:
            ids.append(self.in_reply_to)
        return ids


def parse(data: bytes, *, envelope_from: str | None = None) -> ParsedMail:
    """``envelope_from``: the SMTP MAIL FROM ('' for a bounce), None when unknown (IMAP)."""
    if not data.strip():
        raise MalformedMail("the mail is empty")
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, _FATAL_DEFECTS):
                raise MalformedMail(f"malformed MIME structure: {type(defect).__name__}")
    name, address = parseaddr(_header(msg, "from") or "")
    if "@" not in address or any(ch in address for ch in " <>\r\n"):
        raise MalformedMail("the mail has no usable From address")
    message_id = _first_id(_header(msg, "message-id"))
    if message_id is None:
        # A mail without one is still recognised when the same bytes come again.
        message_id = f"<{hashlib.sha256(data).hexdigest()[:40]}@no-message-id.invalid>"
    try:
        text, html, attachments = _body(msg)
    except (LookupError, ValueError, AssertionError) as exc:
        raise MalformedMail(f"the mail's body cannot be decoded: {exc}") from None
    subject = " ".join((_header(msg, "subject") or "").split())[:500] or None
    parsed = ParsedMail(
        message_id=message_id,
        from_address=address.lower(),
        from_name=" ".join(name.split())[:200] or None,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        in_reply_to=_first_id(_header(msg, "in-reply-to")),
        references=_MSGID.findall(_header(msg, "references") or ""),
        recipients=[
            a.lower()
            for _, a in getaddresses(
                [_header(msg, h) or "" for h in ("to", "cc", "delivered-to", "x-original-to")]
            )
            if a
        ],
    )
    _classify(parsed, msg, envelope_from)
    return parsed


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
    except (email_errors.HeaderParseError, IndexError, ValueError):
        return None
    return None if value is None else str(value)


def _first_id(value: str | None) -> str | None:
    found = _MSGID.search(value or "")
    return found.group(0) if found else None


def _classify(parsed: ParsedMail, msg: EmailMessage, envelope_from: str | None) -> None:
    """Mark mail a machine sent (RFC 3834 Auto-Submitted, Precedence, lists, Microsoft's
    X-Auto-Response-Suppress) and bounces (RFC 3464 reports, an empty return path)."""
    local = parsed.from_address.split("@", 1)[0]
    return_path = _header(msg, "return-path")
    is_report = msg.get_content_type() == "multipart/report"
    if (
        is_report
        or envelope_from == ""
        or (return_path is not None and return_path.strip() in ("<>", ""))
        or local in _DAEMONS
    ):
        parsed.bounce = True
        parsed.automated = "a bounce"
        _read_report(parsed, msg)
        return
    auto = (_header(msg, "auto-submitted") or "").strip().lower()
    precedence = (_header(msg, "precedence") or "").strip().lower()
    if auto and auto != "no":
        parsed.automated = f"Auto-Submitted: {auto}"
    elif precedence in ("bulk", "list", "junk"):
        parsed.automated = f"Precedence: {precedence}"
    elif _header(msg, "x-auto-response-suppress") is not None:
        parsed.automated = "X-Auto-Response-Suppress"
    elif _header(msg, "list-id") is not None:
        parsed.automated = "a mailing list (List-Id)"


def _read_report(parsed: ParsedMail, msg: EmailMessage) -> None:
    ids = list(parsed.thread_ids)
    reasons: list[str] = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            # Its body is a series of header blocks; the per-recipient one has the status.
            blocks = part.get_payload() if part.is_multipart() else []
            for block in blocks if isinstance(blocks, list) else []:
                for key in ("diagnostic-code", "status", "action"):
                    value = block.get(key) if isinstance(block, Message) else None
                    if value:
                        reasons.append(f"{key}: {' '.join(str(value).split())}")
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            inner: Message | None = None
            if kind == "message/rfc822" and part.is_multipart():
                payload = part.get_payload()
                first = payload[0] if isinstance(payload, list) and payload else None
                inner = first if isinstance(first, Message) else None
            elif isinstance(part, EmailMessage):
                content = part.get_content()
                text = content if isinstance(content, str) else content.decode(errors="replace")
                inner = BytesParser(policy=policy.default).parsebytes(
                    text.encode(), headersonly=True
                )
            if inner is not None:
                found = _first_id(_header(inner, "message-id"))
                if found:
                    ids.append(found)
    parsed.bounced_ids = ids
    parsed.bounce_reason = "; ".join(dict.fromkeys(reasons))[:900] or None


def _body(msg: EmailMessage) -> tuple[str | None, str | None, list[Attachment]]:
    plain = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",)) if plain is None else None
    text = None
    if plain is not None:
        text = trim_quoted(_text_of(plain)) or None
    html = None
    if html_part is not None:
        html = sanitize_html(_text_of(html_part)).strip() or None
    attachments: list[Attachment] = []
    bodies = {id(p) for p in (plain, html_part) if p is not None}
    for part in msg.walk():
        if part.is_multipart() or id(part) in bodies:
            continue
        disposition = part.get_content_disposition()
        kind = part.get_content_type()
        if kind.startswith("message/") or (
            disposition != "attachment" and kind in ("text/plain", "text/html")
        ):
            continue  # another alternative of the body, or a forwarded mail's structure
        if disposition is None and not kind.startswith(
            ("image/", "application/", "audio/", "video/")
        ):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        attachments.append(Attachment(part.get_filename() or "attachment", kind, data))
    return text, html, attachments


def _text_of(part: Message) -> str:
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    if isinstance(content, bytes):
        return content.decode("utf-8", errors="replace")
    return str(content).replace("\r\n", "\n")


_ATTRIBUTION = re.compile(
    r"^(on .{3,200} wrote:|.{0,80}在.{2,120}写道[:：]|le .{3,200} a écrit ?:"
    r"|am .{3,200} schrieb .{0,80}:)\s*$",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r"^(-{2,}\s*original message\s*-{2,}|-{3,}\s*原始邮件\s*-{3,}|_{20,})\s*$", re.I
)


def trim_quoted(text: str) -> str:
    """The new part of a reply: without the quoted history under an attribution line
    ("On … wrote:", "在 … 写道：") or an "Original Message" separator, and without trailing
    "> " lines. Only when something is left; the whole mail stays in the event's raw."""
    lines = text.strip("\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        rest = [r for r in lines[i + 1 :] if r.strip()]
        if _SEPARATOR.match(stripped):
            cut = i
            break
        if _ATTRIBUTION.match(stripped) and rest and all(r.lstrip().startswith(">") for r in rest):
            cut = i
            break
    while cut > 0 and (lines[cut - 1].lstrip().startswith(">") or not lines[cut - 1].strip()):
        cut -= 1
    kept = "\n".join(lines[:cut]).strip()
    return kept or text.strip()
