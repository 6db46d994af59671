"""The channel adapters this build ships: importing this module registers each one and its
listeners. (Their inbound routes are in ``channels.routes``, which the app includes; an
adapter or listener module never imports the runtime at import time, so the runtime can
import this.)"""

from __future__ import annotations

from huiliu.channels import listeners
from huiliu.channels.api_channel import adapter as api_channel
from huiliu.channels.base import register
from huiliu.channels.email import adapter as email
from huiliu.channels.email import listener as email_listener
from huiliu.channels.phone import adapter as phone
from huiliu.channels.phone import listener as phone_listener
from huiliu.channels.sms import adapter as sms
from huiliu.channels.wechat import adapter as wechat
from huiliu.channels.weibo import adapter as weibo

ADAPTERS = tuple(
    register(module.ADAPTER) for module in (api_channel, wechat, email, sms, weibo, phone)
)
LISTENERS = tuple(
    listeners.register(each) for each in (*email_listener.LISTENERS, *phone_listener.LISTENERS)
)
