"""The channel adapters this build ships: importing this module registers each one."""

from __future__ import annotations

from huiliu.channels.api_channel import adapter as api_channel
from huiliu.channels.base import register

ADAPTERS = tuple(register(a) for a in (api_channel.ADAPTER,))
