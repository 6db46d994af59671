"""Fields a merchant defines for its own data: a ticket's custom fields, a customer's profile
fields. A definition, and the check of a value against it (each refusal names the field)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from huiliu.errors import InvalidInput

FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class CustomFieldDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="lower-case letters, digits, _; starts with a letter")
    label: str = Field(min_length=1, max_length=50)
    type: Literal["text", "number", "select", "date", "checkbox"]
    options: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100, description="select: the allowed values"
    )
    required: bool = False

    @model_validator(mode="after")
    def _valid(self) -> CustomFieldDef:
        if not FIELD_KEY.match(self.key):
            raise ValueError(f"key {self.key!r}: lower-case letters, digits and _, from a letter")
        if self.type == "select" and not self.options:
            raise ValueError(f"field {self.key!r}: a select field needs options")
        if self.type != "select" and self.options:
            raise ValueError(f"field {self.key!r}: only select fields have options")
        return self


def unique_keys(defs: list[CustomFieldDef]) -> list[CustomFieldDef]:
    keys = [d.key for d in defs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"field keys must differ: {', '.join(twice)} twice")
    return defs


def field_value(spec: CustomFieldDef, value: Any, where: str) -> Any:
    """``value`` as stored for the field ``spec``; a 422 naming ``where`` if it does not fit."""
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
