"""Checks of a ticket's category and custom fields against the tenant's ticket settings;
each refusal names the field (``custom_fields.<key>``)."""

from __future__ import annotations

from typing import Any

from huiliu.custom_fields import CustomFieldDef, field_value
from huiliu.errors import InvalidInput
from huiliu.tickets.schemas import TicketSettings


def check_custom_fields(
    defs: list[CustomFieldDef], values: dict[str, Any], *, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``values`` merged into ``current`` (a None value removes a field), each checked
    against the tenant's definitions; required fields must end up set."""
    known = {d.key: d for d in defs}
    merged = dict(current or {})
    for key, value in values.items():
        where = f"custom_fields.{key}"
        spec = known.get(key)
        if spec is None:
            listed = ", ".join(known) or "none"
            raise InvalidInput(f"{where}: no such field (defined: {listed})", field=where)
        if value is None or value == "":
            merged.pop(key, None)
            continue
        merged[key] = field_value(spec, value, where)
    for spec in defs:
        if spec.required and spec.key not in merged:
            where = f"custom_fields.{spec.key}"
            raise InvalidInput(f"{where}: {spec.label} is required", field=where)
    return merged


def check_category(settings: TicketSettings, category: str | None) -> None:
    if category is not None and settings.categories and category not in settings.categories:
        listed = ", ".join(settings.categories)
        raise InvalidInput(f"category: one of {listed}", field="category")
