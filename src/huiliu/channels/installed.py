"""The channel adapters this build ships: importing this module registers each one and its
listeners. (Their inbound routes are in ``channels.routes``, which the app includes; an
adapter or listener module never imports the runtime at import time, so the runtime can
import this.)"""

from __future__ import annotations

import importlib
from types import ModuleType

from huiliu.channels import listeners
from huiliu.channels.base import register

# While the channels are being built side by side, a package not written yet is skipped.
# TODO(issue 7): explicit imports once every adapter has landed.
PACKAGES = ("api_channel", "wechat", "email", "sms", "weibo", "phone")


def optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise


for _name in PACKAGES:
    _adapter = optional(f"huiliu.channels.{_name}.adapter")
    if _adapter is None:
        continue
    register(_adapter.ADAPTER)
    _listener = optional(f"huiliu.channels.{_name}.listener")
    if _listener is not None:
        for _each in _listener.LISTENERS:
            listeners.register(_each)
