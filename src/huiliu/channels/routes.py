"""The inbound routes of the installed channels, for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from huiliu.channels.installed import PACKAGES, optional

ROUTERS: list[APIRouter] = []
for _name in PACKAGES:
    _api = optional(f"huiliu.channels.{_name}.api")
    if _api is not None:
        ROUTERS.append(_api.router)
