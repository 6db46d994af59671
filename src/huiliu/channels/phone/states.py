"""A call's state machine, without storage: what one CTI event does to what is known of the
call, which call records it writes, and what becomes of the conversation.

PBXs send a call's events from several places (the switch, the queue, the recorder), so
they arrive out of order: the state only moves forward (ringing → answered / transferred →
ended or missed), an ``ended`` without an answer is a missed call, and a late ``answered``
after the end fills in what it knows but never reopens the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from huiliu.channels.phone.models import CallState

EventName = Literal["ringing", "answered", "transferred", "ended", "ivr"]
MAX_KEYS = 64


@dataclass(frozen=True, slots=True)
class Agent:
    id: int
    name: str | None


@dataclass(frozen=True, slots=True)
class CallEventFacts:
    """One CTI event, its agent already matched to a Huiliu account (or not)."""

    call_id: str
    event: EventName
    at: datetime
    direction: Literal["inbound", "outbound"]
    caller: str
    callee: str
    agent: Agent | None = None
    ivr_keys: str | None = None
    recording_url: str | None = None
    queue: str | None = None
    duration_s: int | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known of one call (a row of ``calls``)."""

    call_id: str
    direction: Literal["inbound", "outbound"]
    caller: str
    callee: str
    state: CallState
    announced: bool = False  # a record of it is in a conversation
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wait_s: int | None = None
    talk_s: int | None = None
    ivr_keys: str | None = None
    recording_url: str | None = None
    queue: str | None = None
    agent: Agent | None = None


@dataclass(frozen=True, slots=True)
class Step:
    facts: Facts
    records: list[dict[str, Any]] = field(default_factory=list)  # call contents to write
    assign_to: int | None = None  # the agent who answered serves the conversation
    call_back: bool = False  # a missed call: the conversation waits for a call-back
    finished: bool = False  # an answered call ended


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def record(facts: Facts, status: str) -> dict[str, Any]:
    """The ``call`` content (docs/protocol.md §5) for the call as it now stands."""
    content: dict[str, Any] = {
        "type": "call",
        "call_id": facts.call_id,
        "direction": facts.direction,
        "status": status,
        "caller": facts.caller,
        "callee": facts.callee,
    }
    optional: dict[str, Any] = {
        "wait_s": facts.wait_s,
        "duration_s": facts.talk_s if status == "ended" else None,
        "ivr_keys": facts.ivr_keys,
        "recording_url": facts.recording_url if status == "ended" else None,
        "agent_id": facts.agent.id if facts.agent else None,
        "agent_name": facts.agent.name if facts.agent else None,
        "queue": facts.queue,
    }
    content.update({k: v for k, v in optional.items() if v is not None})
    return content


def advance(known: Facts | None, event: CallEventFacts) -> Step:
    """The call after ``event``; ``known`` is None for a call not seen before."""
    facts = known or Facts(
        call_id=event.call_id,
        direction=event.direction,
        caller=event.caller,
        callee=event.callee,
        state=CallState.ringing,
    )
    facts = replace(
        facts,
        queue=facts.queue or event.queue,
        recording_url=facts.recording_url or event.recording_url,
    )
    if event.ivr_keys:
        facts = replace(facts, ivr_keys=((facts.ivr_keys or "") + event.ivr_keys)[:MAX_KEYS])
    if event.event == "ivr":
        return Step(facts)
    if event.event == "ringing":
        ringing_at = facts.ringing_at or event.at
        facts = replace(
            facts,
            ringing_at=ringing_at,
            wait_s=facts.wait_s
            if facts.wait_s is not None
            else _seconds(ringing_at, facts.answered_at or facts.ended_at),
        )
        if facts.state.final or facts.announced:
            return Step(facts)  # late, or again: the call is on the screen already
        return Step(replace(facts, announced=True), [record(facts, "ringing")])
    if event.event in ("answered", "transferred"):
        if facts.state.final:
            # Late: remember who answered, but a finished call is not reopened.
            return Step(replace(facts, agent=facts.agent or event.agent))
        name = event.event
        if name == "transferred" and facts.state is CallState.ringing:
            if event.agent is None:
                return Step(facts)  # the IVR passed it to a queue: still nobody answered
            name = "answered"  # put through to an agent: that is the answer
        if name == "answered" and facts.state is not CallState.ringing:
            if event.agent is None or event.agent == facts.agent:
                return Step(facts)  # answered again (another leg): nothing new
            if facts.agent is None:  # the first answer named nobody: now we know who
                return Step(replace(facts, agent=event.agent), assign_to=event.agent.id)
            name = "transferred"  # put through to someone else: a transfer
        answered_at = facts.answered_at or event.at
        facts = replace(
            facts,
            answered_at=answered_at,
            wait_s=facts.wait_s
            if facts.wait_s is not None
            else _seconds(facts.ringing_at, answered_at),
            agent=event.agent or facts.agent,
        )
        state = CallState.answered if name == "answered" else CallState.transferred
        facts = replace(facts, state=state, announced=True)
        return Step(
            facts,
            [record(facts, state.value)],
            assign_to=event.agent.id if event.agent else None,
        )
    # ended
    if facts.state.final:
        return Step(facts)
    ended_at = event.at
    if facts.answered_at is None:
        facts = replace(
            facts,
            state=CallState.missed,
            ended_at=ended_at,
            wait_s=_seconds(facts.ringing_at, ended_at),
            announced=True,
        )
        return Step(facts, [record(facts, "missed")], call_back=facts.direction == "inbound")
    talk = (
        event.duration_s if event.duration_s is not None else _seconds(facts.answered_at, ended_at)
    )
    facts = replace(facts, state=CallState.ended, ended_at=ended_at, talk_s=talk, announced=True)
    return Step(facts, [record(facts, "ended")], finished=True)
