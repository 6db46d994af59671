"""The routing engine under random sequences of arrivals, closes, transfers, status and
capacity changes: after every step, the invariants hold."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from huiliu.routing import engine
from huiliu.routing.engine import AgentState, GroupState, Strategy, Waiting

GROUPS = [1, 2, 3]


class RouterModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = 0.0
        self.next_id = 1
        self.agents: dict[int, AgentState] = {}
        self.groups = {
            1: GroupState(1, Strategy.least_load),
            2: GroupState(2, Strategy.round_robin),
            3: GroupState(3, Strategy.last_agent, last_agent_days=1),
        }
        self.waiting: dict[int, Waiting] = {}
        self.assigned: dict[int, int] = {}  # conversation → agent
        self.served_by: dict[int, int] = {}  # customer → last agent
        self.customer_of: dict[int, int] = {}
        self.last_plan: list[tuple[int, int]] = []
        self.before_plan: list[Waiting] = []

    # -- steps ---------------------------------------------------------------------------

    @rule(
        agent_id=st.integers(1, 6),
        groups=st.frozensets(st.sampled_from(GROUPS), min_size=1),
        capacity=st.integers(1, 3),
        online=st.booleans(),
    )
    def agent_joins(
        self, agent_id: int, groups: frozenset[int], capacity: int, online: bool
    ) -> None:
        if agent_id not in self.agents:
            self.agents[agent_id] = AgentState(agent_id, online, capacity, 0, groups)
        self.route()

    @rule(
        group=st.sampled_from(GROUPS),
        priority=st.sampled_from([0, 0, 0, 5]),
        customer=st.integers(1, 8),
    )
    def arrival(self, group: int, priority: int, customer: int) -> None:
        cid = self.next_id
        self.next_id += 1
        self.clock += 1
        last = self.served_by.get(customer)
        self.waiting[cid] = Waiting(
            cid,
            group,
            self.clock,
            priority,
            last_agent_id=last,
            last_served_at=self.clock - 1 if last else None,
        )
        self.customer_of[cid] = customer
        self.route()

    @precondition(lambda self: self.assigned)
    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(sorted(self.assigned)))
        agent = self.agents[self.assigned.pop(cid)]
        agent.load -= 1
        self.route()

    @precondition(lambda self: self.agents)
    @rule(data=st.data(), online=st.booleans())
    def status(self, data: st.DataObject, online: bool) -> None:
        agent = self.agents[data.draw(st.sampled_from(sorted(self.agents)))]
        agent.online = online  # going offline keeps the conversations already served
        self.route()

    @precondition(lambda self: self.agents)
    @rule(data=st.data(), capacity=st.integers(1, 4))
    def capacity(self, data: st.DataObject, capacity: int) -> None:
        agent = self.agents[data.draw(st.sampled_from(sorted(self.agents)))]
        agent.capacity = max(capacity, agent.load)  # lowering below the load is refused
        self.route()

    @rule(group=st.sampled_from(GROUPS), is_open=st.booleans())
    def working_hours(self, group: int, is_open: bool) -> None:
        self.groups[group].is_open = is_open
        self.route()

    @precondition(lambda self: self.assigned)
    @rule(data=st.data(), to_agent=st.booleans(), group=st.sampled_from(GROUPS))
    def transfer(self, data: st.DataObject, to_agent: bool, group: int) -> None:
        cid = data.draw(st.sampled_from(sorted(self.assigned)))
        self.agents[self.assigned.pop(cid)].load -= 1
        self.clock += 1
        target = data.draw(st.sampled_from(sorted(self.agents))) if to_agent else None
        self.waiting[cid] = Waiting(cid, group, self.clock, 0, target_agent_id=target)
        self.route()

    def route(self) -> None:
        self.before_plan = list(self.waiting.values())
        self.last_plan = engine.plan(
            self.agents.values(), self.groups, self.waiting.values(), now=self.clock
        ).assignments
        for cid, agent_id in self.last_plan:
            self.waiting.pop(cid)
            self.assigned[cid] = agent_id
            self.served_by[self.customer_of.get(cid, -cid)] = agent_id

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def nobody_over_capacity(self) -> None:
        for agent in self.agents.values():
            served = sum(1 for a in self.assigned.values() if a == agent.id)
            assert served == agent.load
            assert agent.load <= agent.capacity

    @invariant()
    def assignments_respect_status_and_membership(self) -> None:
        waited = {w.id: w for w in self.before_plan}
        for cid, agent_id in self.last_plan:
            agent = self.agents[agent_id]
            assert agent.online
            item = waited[cid]
            if item.target_agent_id is not None:
                assert agent_id == item.target_agent_id
            else:
                assert item.group_id in agent.groups

    @invariant()
    def work_conserving(self) -> None:
        for item in self.waiting.values():
            if item.target_agent_id is None and not self.groups[item.group_id].is_open:
                continue  # waits for its group to open
            assert not any(engine.is_eligible(a, item) for a in self.agents.values()), item

    @invariant()
    def closed_groups_assign_nothing(self) -> None:
        waited = {w.id: w for w in self.before_plan}
        for cid, _agent in self.last_plan:
            item = waited[cid]
            if item.target_agent_id is None:
                assert self.groups[item.group_id].is_open

    @invariant()
    def priority_then_fifo(self) -> None:
        """Within a queue, nothing was served ahead of an earlier item left waiting."""
        taken = {cid for cid, _ in self.last_plan}
        order = sorted(self.before_plan, key=lambda w: (-w.priority, w.queued_at, w.id))

        def queue(w: Waiting) -> object:
            return ("agent", w.target_agent_id) if w.target_agent_id else ("group", w.group_id)

        for i, later in enumerate(order):
            if later.id not in taken:
                continue
            for earlier in order[:i]:
                if earlier.id not in taken and queue(earlier) == queue(later):
                    raise AssertionError(f"{later} served before {earlier}")


RouterModel.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestRouterModel = RouterModel.TestCase


def agents(*specs: tuple[int, int, int]) -> list[AgentState]:
    return [
        AgentState(id=i, online=True, capacity=c, load=load, groups=frozenset({1}))
        for i, c, load in specs
    ]


def test_least_load_prefers_lowest_ratio_then_longest_idle() -> None:
    # 2/10 = 0.2 is lower than 1/4 = 0.25 and 5/10
    pool = agents((1, 10, 5), (2, 10, 2), (3, 4, 1))
    assert engine.plan(pool, {1: GroupState(1)}, [Waiting(9, 1, 0.0)], now=1.0).assignments == [
        (9, 2)
    ]


def test_round_robin_cycles_through_members() -> None:
    pool = agents((1, 5, 0), (2, 5, 0), (3, 5, 0))
    group = GroupState(1, Strategy.round_robin)
    waiting = [Waiting(i, 1, float(i)) for i in range(10, 17)]
    result = engine.plan(pool, {1: group}, waiting, now=0.0)
    assert [a for _, a in result.assignments] == [1, 2, 3, 1, 2, 3, 1]


def test_last_agent_preferred_within_days_else_least_load() -> None:
    pool = agents((1, 5, 0), (2, 5, 3))
    group = GroupState(1, Strategy.last_agent, last_agent_days=2)
    recent = Waiting(10, 1, 0.0, last_agent_id=2, last_served_at=86400.0 * 9)
    stale = Waiting(11, 1, 1.0, last_agent_id=2, last_served_at=0.0)
    result = engine.plan(pool, {1: group}, [recent, stale], now=86400.0 * 10)
    assert result.assignments == [(10, 2), (11, 1)]


def test_manual_groups_are_never_assigned_automatically() -> None:
    pool = agents((1, 5, 0))
    result = engine.plan(pool, {1: GroupState(1, Strategy.manual)}, [Waiting(10, 1, 0.0)], now=0.0)
    assert result.assignments == []


def test_priority_first_then_waiting_time() -> None:
    pool = agents((1, 2, 0))
    waiting = [Waiting(10, 1, 1.0), Waiting(11, 1, 2.0, priority=5), Waiting(12, 1, 0.5)]
    result = engine.plan(pool, {1: GroupState(1)}, waiting, now=3.0)
    assert [c for c, _ in result.assignments] == [11, 12]


def test_working_hours_follow_the_groups_time_zone_and_holidays() -> None:
    from datetime import UTC, date, datetime

    from huiliu.routing.hours import WorkingHours

    hours = WorkingHours.model_validate(
        {
            "timezone": "Asia/Shanghai",
            "weekly": {
                "mon": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
            },
            "holidays": ["2026-11-30"],
        }
    )
    # Monday 2026-11-23 in Shanghai (UTC+8).
    assert hours.is_open(datetime(2026, 11, 23, 1, 30, tzinfo=UTC))  # 09:30 local
    assert not hours.is_open(datetime(2026, 11, 23, 0, 59, tzinfo=UTC))  # 08:59 local
    assert not hours.is_open(datetime(2026, 11, 23, 4, 30, tzinfo=UTC))  # 12:30 lunch
    assert hours.is_open(datetime(2026, 11, 23, 9, 59, tzinfo=UTC))  # 17:59 local
    assert not hours.is_open(datetime(2026, 11, 22, 17, 30, tzinfo=UTC))  # Mon 01:30 local
    assert not hours.is_open(datetime(2026, 11, 24, 1, 30, tzinfo=UTC))  # Tuesday: closed
    assert not hours.is_open(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # a holiday Monday
    assert date(2026, 11, 30) in hours.holidays
    assert hours.describe() == "周一 09:00-12:00、13:00-18:00"
