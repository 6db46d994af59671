"""The inbound routes of the installed channels, for the app to include."""

from __future__ import annotations

from huiliu.channels.api_channel.api import router as api_channel
from huiliu.channels.phone.api import router as phone
from huiliu.channels.sms.api import router as sms
from huiliu.channels.wechat.api import router as wechat
from huiliu.channels.weibo.api import router as weibo

ROUTERS = (api_channel, wechat, sms, weibo, phone)  # e-mail arrives by SMTP and IMAP
