"""What WeChat pushes: one flat ``<xml>`` element per message or event, parsed safely.

defusedxml refuses DTDs, entity declarations and external references, so a push cannot
make the parser read local files or expand a billion laughs. Field names are WeChat's
(https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html,
…/Receiving_event_pushes.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

MAX_FIELDS = 64


class PushError(ValueError):
    """A body that is not a WeChat push."""


def parse(body: bytes) -> dict[str, str]:
    """The push's fields (``<xml><MsgType>text</MsgType>…</xml>`` → ``{"MsgType": "text"}``)."""
    if not body.strip():
        raise PushError("the body is empty; WeChat posts an <xml> document")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise PushError("the XML declares a DTD or entities, which pushes never do") from None
    except ParseError as exc:
        raise PushError(f"the body is not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise PushError(f"the root element is <{root.tag}>, not <xml>")
    children = list(root)
    if len(children) > MAX_FIELDS:
        raise PushError(f"the push has over {MAX_FIELDS} fields")
    return {child.tag: (child.text or "").strip() for child in children}


@dataclass(frozen=True, slots=True)
class Push:
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    def need(self, name: str) -> str:
        value = self.get(name)
        if not value:
            raise PushError(f"the push has no {name}")
        return value

    @property
    def msg_type(self) -> str:
        return self.need("MsgType").lower()

    @property
    def openid(self) -> str:
        return self.need("FromUserName")

    @property
    def event(self) -> str:
        return self.get("Event")

    @property
    def dedupe_id(self) -> str:
        """WeChat retries a push up to three times within 5 s: a message by its MsgId, an
        event (which has none) by who, when and what."""
        if self.msg_type == "event":
            return f"{self.openid}:{self.need('CreateTime')}:{self.event}"
        return self.need("MsgId")
