"""The score math, on the server only: each item's earned points, the 0–100 total weighted
by the items' points, and critical items that zero it. Pure functions over the checklist's
items (as JSON) and the reviewer's scores.

- a pass/fail item earns its ``max_points`` when passed, 0 when failed;
- a points item earns the points given (0 … ``max_points``);
- an item marked n/a counts neither in what was earned nor in what was possible;
- total = 100 × earned / possible, to one decimal (halves up); 0 when a critical item failed;
- in a draft, items not scored yet count like n/a (the total so far); a submitted review
  has every item scored or n/a.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from huiliu.errors import InvalidInput
from huiliu.quality.schemas import ChecklistItem, ScoreIn


@dataclass(frozen=True, slots=True)
class Total:
    total: float | None  # None: nothing scored (or everything n/a)
    earned: int
    possible: int
    critical_failed: bool


def item_keys(items: Sequence[ChecklistItem], previous: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Each item's key: its own, else the key of the previous version's item with the same
    label (an edited checklist keeps its keys), else a new one."""
    by_label = {p["label"]: p["key"] for p in previous}
    taken = {i.key for i in items if i.key is not None}
    keys: list[str] = []
    for item in items:
        key = item.key
        if key is None:
            key = by_label.get(item.label)
            if key is None or key in taken:
                key = "i" + secrets.token_hex(4)
                while key in taken:  # pragma: no cover - 32 random bits
                    key = "i" + secrets.token_hex(4)
            taken.add(key)
        keys.append(key)
    return keys


def is_scored(score: dict[str, Any]) -> bool:
    return bool(score["na"]) or score["passed"] is not None or score["points"] is not None


def earned_by(item: dict[str, Any], score: dict[str, Any] | None) -> int | None:
    """What one item adds to the total; None when it is n/a or not scored."""
    if score is None or score["na"] or not is_scored(score):
        return None
    if item["scoring"] == "pass_fail":
        return int(item["max_points"]) if score["passed"] else 0
    return int(score["points"])


def total_of(items: Sequence[dict[str, Any]], scores: Sequence[dict[str, Any]]) -> Total:
    by_key = {s["key"]: s for s in scores}
    earned = possible = 0
    critical_failed = False
    for item in items:
        score = by_key.get(item["key"])
        points = earned_by(item, score)
        if points is None:
            continue
        earned += points
        possible += int(item["max_points"])
        if item["critical"] and score is not None and score["passed"] is False:
            critical_failed = True
    if possible == 0:
        return Total(None, 0, 0, critical_failed)
    total = 0.0 if critical_failed else _one_decimal(earned, possible)
    return Total(total, earned, possible, critical_failed)


def _one_decimal(earned: int, possible: int) -> float:
    """100 × earned / possible to one decimal, halves up, computed exactly (the front end
    shows the same figure with Math.round)."""
    tenths = math.floor(Fraction(1000 * earned, possible) + Fraction(1, 2))
    return tenths / 10


def check_scores(
    items: Sequence[dict[str, Any]], scores: Sequence[ScoreIn], *, complete: bool
) -> list[dict[str, Any]]:
    """The scores as stored, in the checklist's order; ``InvalidInput`` naming the first
    wrong one (``scores.<n>``): an item not in the checklist, a score given twice, points
    on a pass/fail item or above an item's max, n/a on a critical item; with ``complete``,
    every item scored or n/a."""
    by_key = {item["key"]: item for item in items}
    given: dict[str, dict[str, Any]] = {}
    for n, score in enumerate(scores):
        where = f"scores.{n}"
        item = by_key.get(score.key)
        if item is None:
            raise InvalidInput(
                f"{where}.key: {score.key!r} is not an item of this checklist", field=f"{where}.key"
            )
        if score.key in given:
            raise InvalidInput(
                f"{where}.key: item {item['label']!r} is scored twice", field=f"{where}.key"
            )
        label = item["label"]
        if score.na:
            if score.passed is not None or score.points is not None:
                raise InvalidInput(
                    f"{where}: item {label!r} is n/a: give neither passed nor points",
                    field=where,
                )
            if item["critical"]:
                raise InvalidInput(
                    f"{where}.na: item {label!r} is critical and cannot be n/a",
                    field=f"{where}.na",
                )
        elif item["scoring"] == "pass_fail":
            if score.points is not None:
                raise InvalidInput(
                    f"{where}.points: item {label!r} is pass/fail: give passed",
                    field=f"{where}.points",
                )
        else:
            if score.passed is not None:
                raise InvalidInput(
                    f"{where}.passed: item {label!r} is scored in points: give points",
                    field=f"{where}.passed",
                )
            if score.points is not None and score.points > item["max_points"]:
                raise InvalidInput(
                    f"{where}.points: {score.points} is above item {label!r}'s "
                    f"{item['max_points']} points",
                    field=f"{where}.points",
                )
        given[score.key] = score.model_dump()
    if complete:
        missing = [i["label"] for i in items if not is_scored(given.get(i["key"], _EMPTY))]
        if missing:
            raise InvalidInput(
                "scores: score every item (or mark it n/a) before submitting; missing: "
                + ", ".join(missing),
                field="scores",
            )
    return [given[i["key"]] for i in items if i["key"] in given]


_EMPTY: dict[str, Any] = {"na": False, "passed": None, "points": None}
