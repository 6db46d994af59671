"""Checks of a ticket's category and custom fields against the tenant's ticket settings;
each refusal names the field (``custom_fields.<key>``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from huiliu.errors import InvalidInput
from huiliu.tickets.schemas import CustomFieldDef, TicketSettings


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
        merged[key] = _field_value(spec, value, where)
    for spec in defs:
        if spec.required and spec.key not in merged:
            where = f"custom_fields.{spec.key}"
            raise InvalidInput(f"{where}: {spec.label} is required", field=where)
    return merged


def _field_value(spec: CustomFieldDef, value: Any, where: str) -> Any:
    if spec.type == "text":
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidInput(f"{where}: {spec.label} is text (≤ 2000 characters)", field=where)
        return value.strip()
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{where}: {spec.label} is a number", field=where)
        return value
    if spec.type == "checkbox":
        if not isinstance(value, bool):
            raise InvalidInput(f"{where}: {spec.label} is true or false", field=where)
        return value
    if spec.type == "date":
        try:
            return date.fromisoformat(value).isoformat() if isinstance(value, str) else None
        except ValueError:
            pass
        raise InvalidInput(f"{where}: {spec.label} is a date (YYYY-MM-DD)", field=where)
    if value not in spec.options:
        options = ", ".join(spec.options)
        raise InvalidInput(f"{where}: {spec.label} is one of {options}", field=where)
    return value


def check_category(settings: TicketSettings, category: str | None) -> None:
    if category is not None and settings.categories and category not in settings.categories:
        listed = ", ".join(settings.categories)
        raise InvalidInput(f"category: one of {listed}", field="category")
