"""A notice's words: ``{{name}}`` placeholders, checked when the template is saved (an
unknown one is refused before anything is sent) and filled for each customer.

A placeholder is ``contact.name``, ``contact.email``, ``contact.phone``, ``attributes.<key>``
(a profile field the merchant defined) or one of the template's own ``variables`` (what the
merchant's event brings: ``order_id``, ``tracking_no`` …). ``{{contact.name|亲}}`` gives a
fallback for an empty value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from huiliu.errors import InvalidInput

PLACEHOLDER = re.compile(r"\{\{\s*([^{}|]+?)\s*(?:\|([^{}]*))?\}\}")
VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CONTACT_FIELDS = ("name", "email", "phone")


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def check(
    texts: Mapping[str, str | None], *, variables: Iterable[str], profile_keys: Iterable[str]
) -> None:
    """Every placeholder of ``texts`` (field → text) is one the template may fill; else a
    422 naming the field and the placeholder."""
    declared = list(variables)
    for name in declared:
        if not VARIABLE.match(name):
            raise InvalidInput(
                f"variables: {name!r} is lower-case letters, digits and _, from a letter",
                field="variables",
            )
    known = {f"contact.{f}" for f in CONTACT_FIELDS}
    known |= {f"attributes.{k}" for k in profile_keys}
    known |= set(declared)
    for field, text in texts.items():
        if text is None:
            continue
        if text.count("{{") != len(placeholders(text)) or text.count("}}") != text.count("{{"):
            raise InvalidInput(f"{field}: a {{{{ without its }}}} (or the other way)", field=field)
        for name in placeholders(text):
            if name not in known:
                hint = ", ".join(sorted(known))
                raise InvalidInput(
                    f"{field}: {{{{{name}}}}} is not a variable this template has ({hint})",
                    field=field,
                )


def missing(variables: Iterable[str], given: Mapping[str, Any]) -> list[str]:
    """The template's variables an event left out."""
    return [v for v in variables if given.get(v) in (None, "")]


def render(text: str, *, contact: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """``text`` filled for one customer: ``contact`` has name, email, phone, attributes;
    ``values`` the event's variables."""
    attributes = contact.get("attributes") or {}

    def value(match: re.Match[str]) -> str:
        name, fallback = match.group(1), match.group(2) or ""
        if name.startswith("contact."):
            found = contact.get(name.removeprefix("contact."))
        elif name.startswith("attributes."):
            found = attributes.get(name.removeprefix("attributes."))
        else:
            found = values.get(name)
        if found is None or found == "":
            return fallback
        if isinstance(found, bool):
            return "是" if found else "否"
        return str(found)

    return PLACEHOLDER.sub(value, text)
