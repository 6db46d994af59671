"""Phone numbers as the PBX gives them → E.164 (``+8613800138000``), the form every channel
that vouches for a phone number uses, so a caller is found by it."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")


def e164(raw: str, *, country_code: str) -> str | None:
    """``raw`` in E.164, or None when it is no dialable number (anonymous, an extension)."""
    number = _SEPARATORS.sub("", raw or "")
    if number.startswith("+"):
        digits = number[1:]
    elif number.startswith("00"):
        digits = number[2:]
    elif number.startswith("0"):
        digits = country_code + number[1:]  # a national trunk prefix (010 …)
    elif number.startswith(country_code) and len(number) > 11:
        digits = number  # the country code without a plus (8613800138000)
    else:
        digits = country_code + number
    if not digits.isdigit() or not 8 <= len(digits) <= 15 or len(number) < 5:
        return None
    return "+" + digits
