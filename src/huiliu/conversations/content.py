"""Message content: one Pydantic model per content type, validated before anything is stored.

Size limits that depend on settings (text length, card size) are checked in
``check_content``; structural limits live on the models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from huiliu.errors import InvalidInput, TooLarge


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


Url = Annotated[AnyHttpUrl, Field(description="http or https URL")]


class TextContent(_Content):
    type: Literal["text"]
    text: str = Field(min_length=1)
    button_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the id of the menu button the customer tapped (text is its label)",
    )
    subject: str | None = Field(
        default=None, max_length=500, description="an e-mail's subject line"
    )


class RichContent(_Content):
    """Formatted text (a knowledge-base answer): HTML, sanitized when it is stored."""

    type: Literal["rich"]
    html: Annotated[str, AfterValidator(lambda html: sanitize_html(html))] = Field(
        min_length=1, max_length=20_000
    )
    subject: str | None = Field(
        default=None, max_length=500, description="an e-mail's subject line"
    )


class ImageContent(_Content):
    type: Literal["image"]
    url: Url
    width: int | None = Field(default=None, ge=1, le=100_000)
    height: int | None = Field(default=None, ge=1, le=100_000)
    size: int | None = Field(default=None, ge=0)
    name: str | None = Field(default=None, max_length=255)


class FileContent(_Content):
    type: Literal["file"]
    url: Url
    name: str = Field(min_length=1, max_length=255)
    size: int | None = Field(default=None, ge=0)
    mime: str | None = Field(default=None, max_length=127)


class AudioContent(_Content):
    type: Literal["audio"]
    url: Url
    duration_s: float | None = Field(default=None, ge=0, le=24 * 3600)
    mime: str | None = Field(default=None, max_length=127)


class VideoContent(_Content):
    type: Literal["video"]
    url: Url
    duration_s: float | None = Field(default=None, ge=0, le=24 * 3600)
    poster_url: Url | None = None
    mime: str | None = Field(default=None, max_length=127)


class LocationContent(_Content):
    type: Literal["location"]
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)


class CardField(_Content):
    label: str = Field(min_length=1, max_length=50)
    value: str = Field(max_length=200)


class CardContent(_Content):
    """A product or an order, shown as a card."""

    type: Literal["card"]
    card_type: Literal["product", "order"]
    title: str = Field(min_length=1, max_length=200)
    url: Url | None = None
    image_url: Url | None = None
    price: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=1000)
    fields: list[CardField] = Field(default_factory=list, max_length=20)


class MenuButton(_Content):
    id: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=40)


class MenuContent(_Content):
    """Buttons the customer taps; a tap comes back as text with ``reply_to`` set."""

    type: Literal["menu"]
    text: str | None = Field(default=None, max_length=1000)
    buttons: list[MenuButton] = Field(min_length=1, max_length=12)


class EventContent(_Content):
    """A system event in the conversation's log. Only the server writes these."""

    type: Literal["event"]
    event: Literal["opened", "assigned", "transferred", "closed", "handoff"]
    account_id: int | None = Field(default=None, description="who acted, or who was assigned")
    account_name: str | None = Field(
        default=None,
        max_length=200,
        description="assigned: the agent's display name, for the customer to see who serves",
    )
    reason: str | None = Field(default=None, max_length=500)
    to_account_id: int | None = Field(default=None, description="transferred: the target agent")
    to_group_id: int | None = Field(default=None, description="transferred: the target group")
    note: str | None = Field(
        default=None, max_length=1000, description="transferred: for the receiving agent"
    )
    summary: str | None = Field(
        default=None,
        max_length=4000,
        description="handoff: what the customer asked the bot and what it answered",
    )


class CallContent(_Content):
    """A phone call in the customer's history, written by the phone channel (server only):
    when it rings (who calls, for the agent's screen pop) and when it ends or was missed."""

    type: Literal["call"]
    call_id: str = Field(min_length=1, max_length=128, description="the PBX's id of the call")
    direction: Literal["inbound", "outbound"]
    status: Literal["ringing", "answered", "transferred", "ended", "missed"]
    caller: str = Field(max_length=64, description="the calling number")
    callee: str = Field(max_length=64, description="the number called")
    wait_s: int | None = Field(default=None, ge=0, description="ringing or queued, seconds")
    duration_s: int | None = Field(default=None, ge=0, description="talk time, seconds")
    ivr_keys: str | None = Field(default=None, max_length=64, description="keys pressed in the IVR")
    recording_url: Url | None = None
    agent_id: int | None = Field(default=None, description="the agent who took the call")
    agent_name: str | None = Field(default=None, max_length=200)
    queue: str | None = Field(default=None, max_length=100, description="the PBX's queue")


class SurveyOption(_Content):
    score: int = Field(ge=1, le=5)
    label: str = Field(min_length=1, max_length=20)
    tags: list[str] = Field(
        default_factory=list, max_length=8, description="follow-up tags offered for this score"
    )


class SurveyContent(_Content):
    """The system's satisfaction survey (server only; docs/satisfaction.md). The widget and
    apps show the options as buttons and POST the answer; text channels get it as "reply
    with a number", e-mail as a link to the rating page."""

    type: Literal["survey"]
    survey_id: int
    scale: Literal[2, 3, 5]
    prompt: str = Field(min_length=1, max_length=200)
    options: list[SurveyOption] = Field(
        min_length=2, max_length=5, description="one per point, worst (1) first"
    )
    comment: bool = Field(description="a comment may go with the answer")
    expires_at: datetime | None = Field(default=None, description="answers are taken until")


AnswerPart = Annotated[
    TextContent | RichContent | ImageContent | CardContent | MenuContent,
    Field(discriminator="type"),
]


class AnswerContent(_Content):
    """The bot's answer from a knowledge-base entry; the customer may vote on it."""

    type: Literal["answer"]
    entry_id: int
    question: str = Field(max_length=500, description="the entry's standard question")
    parts: list[AnswerPart] = Field(min_length=1, max_length=5)
    feedback: bool = Field(default=True, description="offer helpful / unhelpful buttons")


Content = Annotated[
    TextContent
    | RichContent
    | ImageContent
    | FileContent
    | AudioContent
    | VideoContent
    | LocationContent
    | CardContent
    | MenuContent
    | EventContent
    | AnswerContent
    | CallContent
    | SurveyContent,
    Field(discriminator="type"),
]
CONTENT_TYPES = (
    "text",
    "rich",
    "image",
    "file",
    "audio",
    "video",
    "location",
    "card",
    "menu",
    "event",
    "answer",
    "call",
    "survey",
)
SERVER_ONLY = ("event", "answer", "call", "survey")
_content_adapter: TypeAdapter[Content] = TypeAdapter(Content)


def check_content(
    raw: Any, *, max_text_length: int, max_card_bytes: int, allow_event: bool = False
) -> dict[str, Any]:
    """Validate client-sent content; return it as the JSON stored and sent to clients."""
    if not isinstance(raw, dict):
        raise InvalidInput("content must be an object with a 'type'", field="content")
    # The common case, plain text and nothing else, answered without the models: what they
    # would accept and return for it is just this. Anything else takes the full path.
    if len(raw) == 2 and type(kind := raw.get("type")) is str and kind == "text":
        text = raw.get("text")
        if type(text) is str and text:
            if len(text) > max_text_length:
                raise TooLarge(
                    f"text is {len(text)} characters; the limit is {max_text_length}",
                    field="content.text",
                )
            return {"type": "text", "text": text}
    try:
        # JSON mode: URLs arrive as strings, ints stay ints; strict keeps "1" from being 1.
        content = _content_adapter.validate_python(raw)
    except ValidationError as exc:
        raise InvalidInput(_describe(exc), field="content") from None
    # A survey is only ever the system's own (satisfaction.actions): no client, not even a
    # trusted channel adapter, writes one.
    if isinstance(content, SurveyContent) or (
        isinstance(content, EventContent | AnswerContent | CallContent) and not allow_event
    ):
        raise InvalidInput(
            f"{content.type} messages are written by the server only", field="content.type"
        )
    if isinstance(content, TextContent) and len(content.text) > max_text_length:
        raise TooLarge(
            f"text is {len(content.text)} characters; the limit is {max_text_length}",
            field="content.text",
        )
    data = content.model_dump(mode="json", exclude_none=True)
    if isinstance(content, CardContent):
        size = len(orjson.dumps(data))
        if size > max_card_bytes:
            raise TooLarge(f"card is {size} bytes; the limit is {max_card_bytes}", field="content")
    return data


def sanitize_html(html: str) -> str:
    """Only formatting survives: no scripts, no event handlers, no javascript: links."""
    import nh3

    return nh3.clean(html, url_schemes={"http", "https", "mailto"})


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in ("content", *err["loc"]))
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
