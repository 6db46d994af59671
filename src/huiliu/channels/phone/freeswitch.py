"""FreeSWITCH's event socket (mod_event_socket, inbound mode): the ESL framing, and its
channel events as the CTI events every PBX posts.

The wire (https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod_event_socket_1048924,
https://developer.signalwire.com/freeswitch/programming/esl-inbound/): each message is
``Name: value`` header lines ended by an empty line, then ``Content-Length`` bytes of body
when that header is present. On connect the switch sends ``Content-Type: auth/request``;
the client answers ``auth <password>``, then ``event plain <names>``; each command is
answered by ``Content-Type: command/reply`` with ``Reply-Text: +OK …`` or ``-ERR …``. An
event comes as ``Content-Type: text/event-plain`` whose body is the event's own headers
(values URL-encoded), an empty line, and the event's body if it has one. Before closing,
the switch sends ``Content-Type: text/disconnect-notice``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote

from pydantic import ValidationError

from huiliu.channels.phone.adapter import FreeSwitchConfig
from huiliu.channels.phone.schemas import CallEventIn

MAX_HEADER_LINES = 1000
MAX_BODY = 1024 * 1024  # a CHANNEL_* event with every variable is a few tens of KB
EVENTS = (
    "CHANNEL_CREATE",
    "CHANNEL_ANSWER",
    "CHANNEL_BRIDGE",
    "CHANNEL_HANGUP_COMPLETE",
    "DTMF",
    "CUSTOM",
    "callcenter::info",  # mod_callcenter: which queue a caller waits in
)
SUBSCRIBE = "event plain " + " ".join(EVENTS)


class EslError(Exception):
    """The switch refused us or spoke something that is not ESL."""


@dataclass(frozen=True, slots=True)
class Frame:
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


async def read_frame(reader: asyncio.StreamReader) -> Frame:
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("the event socket closed")
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if not text:
            if headers:
                break
            continue  # blank lines between messages
        name, sep, value = text.partition(":")
        if not sep:
            raise EslError(f"not an ESL header line: {text[:80]!r}")
        headers[name.strip()] = value.strip()
        if len(headers) > MAX_HEADER_LINES:
            raise EslError("too many header lines")
    try:
        length = int(headers.get("Content-Length", "0") or "0")
    except ValueError:
        raise EslError(f"bad Content-Length {headers.get('Content-Length')!r}") from None
    if not 0 <= length <= MAX_BODY:
        raise EslError(f"Content-Length {length} is out of bounds")
    body = await reader.readexactly(length) if length else b""
    return Frame(headers, body)


def reply_ok(frame: Frame) -> bool:
    return frame.content_type == "command/reply" and frame.headers.get("Reply-Text", "").startswith(
        "+OK"
    )


def parse_event_plain(body: bytes) -> dict[str, str]:
    """A ``text/event-plain`` body's headers, URL-decoded (the event's own body, if any,
    after the empty line, is kept as ``_body``)."""
    text = body.decode("utf-8", "replace").replace("\r\n", "\n")
    head, _, rest = text.partition("\n\n")
    fields: dict[str, str] = {}
    for line in head.split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = unquote(value.strip())
    if rest:
        fields["_body"] = rest
    return fields


def _at(fields: dict[str, str]) -> datetime:
    micros = fields.get("Event-Date-Timestamp", "")
    if micros.isdigit():
        return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    return datetime.now(UTC)


def _b_leg(fields: dict[str, str]) -> bool:
    """A leg FreeSWITCH originated for another (the agent's phone being rung): the call is
    followed on the caller's leg (the a-leg) alone."""
    if fields.get("variable_originating_leg_uuid"):
        return True
    return fields.get("Other-Type") == "originator" and fields.get("Event-Name") != (
        "CHANNEL_BRIDGE"
    )


def _recording(fields: dict[str, str], config: FreeSwitchConfig) -> str | None:
    path = fields.get(f"variable_{config.recording_variable}")
    if not path or not config.recording_url_template:
        return None
    return config.recording_url_template.format(
        file=path.rsplit("/", 1)[-1], path=path.lstrip("/"), call_id=fields.get("Unique-ID", "")
    )


def _agent(fields: dict[str, str], *fallbacks: str) -> dict[str, str] | None:
    """Who took the call: a channel variable the dialplan sets (``huiliu_agent``) or a SIP
    header the agent's phone or the queue adds (``X-Huiliu-Agent``, seen as
    ``variable_sip_h_X-Huiliu-Agent``) — an e-mail or an extension — else the leg's own
    numbers."""
    named = fields.get("variable_huiliu_agent") or fields.get("variable_sip_h_X-Huiliu-Agent")
    if named and "@" in named:
        return {"email": named[:254]}
    value = named or next((fields[f] for f in fallbacks if fields.get(f)), "")
    return {"extension": value[:32]} if value else None


def to_cti(fields: dict[str, str], config: FreeSwitchConfig) -> CallEventIn | None:
    """The CTI event a FreeSWITCH event means, or None for one that means nothing to a
    call's record (another leg, an unrelated CUSTOM event)."""
    name = fields.get("Event-Name", "")
    call_id = fields.get("Unique-ID") or ""
    if not call_id or _b_leg(fields):
        return None
    direction: Literal["inbound", "outbound"] = (
        "outbound" if fields.get("Call-Direction") == "outbound" else "inbound"
    )
    event: str | None = None
    data: dict[str, Any] = {}
    if name == "CHANNEL_CREATE":
        event = "ringing"
    elif name == "CHANNEL_BRIDGE":
        # The caller is put through to an agent: that is the answer that counts (an IVR
        # answers the caller's leg itself, long before anyone speaks to them).
        event = "answered"
        agent = _agent(fields, "Other-Leg-Destination-Number", "Other-Leg-Callee-ID-Number")
        if agent:
            data["agent"] = agent
    elif name == "CHANNEL_ANSWER" and direction == "outbound":
        event = "answered"  # an outbound call: the customer picked up
        agent = _agent(fields)
        if agent:
            data["agent"] = agent
    elif name == "DTMF":
        digit = fields.get("DTMF-Digit", "")
        if not digit:
            return None
        event, data["ivr_keys"] = "ivr", digit[:1]
    elif name == "CUSTOM" and fields.get("Event-Subclass") == "callcenter::info":
        if fields.get("CC-Action") != "member-queue-start" or not fields.get("CC-Queue"):
            return None
        event, data["queue"] = "ivr", fields["CC-Queue"][:100]
    elif name == "CHANNEL_HANGUP_COMPLETE":
        event = "ended"
        url = _recording(fields, config)
        if url:
            data["recording_url"] = url
        billsec = fields.get("variable_billsec", "")
        if direction == "outbound" and billsec.isdigit():
            data["duration_s"] = int(billsec)  # answered = the customer picked up
    if event is None:
        return None
    queue = fields.get("variable_cc_queue")
    if queue and "queue" not in data:
        data["queue"] = queue[:100]
    sequence = fields.get("Event-Sequence") or fields.get("Event-Date-Timestamp", "")
    try:
        return CallEventIn.model_validate(
            {
                "id": f"fs:{fields.get('Core-UUID', '')}:{sequence}:{name}"[:200],
                "call_id": call_id[:128],
                "event": event,
                "at": _at(fields),
                "caller": fields.get("Caller-Caller-ID-Number", "")[:64],
                "callee": fields.get("Caller-Destination-Number", "")[:64],
                "direction": direction,
                **data,
            }
        )
    except ValidationError:
        return None  # e.g. a recording template that makes no http(s) URL
