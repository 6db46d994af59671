"""The routing decision, as a pure function over a snapshot of agents and waiting work.

Rules (docs/architecture.md, "Routing"):
- waiting conversations are served by priority (higher first), then by waiting time;
- an agent takes a conversation only while online, a member of its group, and under capacity;
- work-conserving: when the plan is applied, no waiting conversation of a non-manual group
  has an eligible agent with room;
- the group's strategy picks among the eligible agents.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Strategy(enum.StrEnum):
    least_load = "least_load"
    round_robin = "round_robin"
    last_agent = "last_agent"
    manual = "manual"


@dataclass
class AgentState:
    id: int
    online: bool
    capacity: int
    load: int
    groups: frozenset[int]
    # For ties: the agent idle longest (oldest last assignment) goes first.
    last_assigned_at: float = 0.0
    status: str = "online"  # as the agent set it (for reports; `online` decides)

    @property
    def has_room(self) -> bool:
        return self.online and self.load < self.capacity


@dataclass
class GroupState:
    id: int
    strategy: Strategy = Strategy.least_load
    last_agent_days: float = 7.0
    rr_last_agent_id: int | None = None  # the agent round-robin served last
    is_open: bool = True  # within its working hours


@dataclass(frozen=True)
class Waiting:
    id: int
    group_id: int | None  # None only while waiting for a target agent
    queued_at: float
    priority: int = 0
    last_agent_id: int | None = None  # who served this customer last …
    last_served_at: float | None = None  # … and when
    target_agent_id: int | None = None  # transferred to this agent, waiting for their room
    excluded_agent_id: int | None = None  # let it time out: someone else, please
    noticed: bool = False  # the customer was already told to expect a wait


@dataclass
class Plan:
    assignments: list[tuple[int, int]] = field(default_factory=list)  # (conversation, agent)
    rr_last: dict[int, int] = field(default_factory=dict)  # group → agent served last


def queue_order(waiting: Iterable[Waiting]) -> list[Waiting]:
    return sorted(waiting, key=lambda w: (-w.priority, w.queued_at, w.id))


def plan(
    agents: Iterable[AgentState],
    groups: dict[int, GroupState],
    waiting: Iterable[Waiting],
    *,
    now: float,
) -> Plan:
    """Assign waiting conversations to agents. Mutates the given agents' load.

    Linear in the waiting items plus the agents looked at: agents are indexed by group, and a
    queue whose agents are all full is skipped for the rest of the plan (room only shrinks
    while planning)."""
    pool = sorted(agents, key=lambda a: a.id)
    by_id = {a.id: a for a in pool}
    by_group: dict[int, list[AgentState]] = {}
    for agent in pool:
        for group_id in agent.groups:
            by_group.setdefault(group_id, []).append(agent)
    exhausted: set[tuple[str, int]] = set()
    result = Plan()
    tick = 0
    for item in queue_order(waiting):
        key = queue_key(item)
        if key in exhausted:
            continue
        group = groups.get(item.group_id) if item.group_id is not None else None
        if item.target_agent_id is None and (
            group is None or group.strategy is Strategy.manual or not group.is_open
        ):
            continue
        if item.target_agent_id is not None:
            target = by_id.get(item.target_agent_id)
            candidates = [target] if target is not None else []
        else:
            candidates = by_group.get(item.group_id or 0, [])
        eligible = [a for a in candidates if is_eligible(a, item)]
        if not eligible:
            if not any(a.has_room for a in candidates):
                exhausted.add(key)
            continue
        agent = eligible[0] if group is None else _choose(group, eligible, item, now=now)
        agent.load += 1
        # Later in this plan than anything before it, for the longest-idle tie-break.
        tick += 1
        agent.last_assigned_at = now + tick * 1e-6
        if group is not None:
            group.rr_last_agent_id = agent.id
            result.rr_last[group.id] = agent.id
        result.assignments.append((item.id, agent.id))
    return result


def is_eligible(agent: AgentState, item: Waiting) -> bool:
    if not agent.has_room:
        return False
    if item.target_agent_id is not None:
        return agent.id == item.target_agent_id
    return item.group_id in agent.groups and agent.id != item.excluded_agent_id


def _choose(
    group: GroupState, eligible: list[AgentState], item: Waiting, *, now: float
) -> AgentState:
    if group.strategy is Strategy.last_agent and item.last_agent_id is not None:
        recent = (
            item.last_served_at is not None
            and now - item.last_served_at <= group.last_agent_days * 86400
        )
        if recent:
            for agent in eligible:
                if agent.id == item.last_agent_id:
                    return agent
    if group.strategy is Strategy.round_robin:
        last = group.rr_last_agent_id
        after = [a for a in eligible if last is None or a.id > last]
        return after[0] if after else eligible[0]
    return min(eligible, key=lambda a: (a.load / a.capacity, a.last_assigned_at, a.id))


def queue_key(item: Waiting) -> tuple[str, int]:
    """The queue an item waits in: its target agent's, or its group's."""
    if item.target_agent_id is not None:
        return ("agent", item.target_agent_id)
    return ("group", item.group_id or 0)


def positions(waiting: Iterable[Waiting]) -> dict[int, tuple[tuple[str, int], int]]:
    """conversation id → (its queue, 1-based position in that queue)."""
    result: dict[int, tuple[tuple[str, int], int]] = {}
    counters: dict[tuple[str, int], int] = {}
    for item in queue_order(waiting):
        key = queue_key(item)
        counters[key] = counters.get(key, 0) + 1
        result[item.id] = (key, counters[key])
    return result
