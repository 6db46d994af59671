"""The phone channel: a merchant's PBX or call-centre system reports its calls (signed CTI
events over REST, or the built-in FreeSWITCH event-socket connector) and each call becomes
records in the caller's one history, found by phone number. A phone conversation carries
calls, not text: an agent's message into it cannot reach the caller (``deliver`` says so);
internal notes work as anywhere. See docs/channels/phone.md.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from huiliu.channels.base import Outgoing, Sent, Services

CHANNEL = "phone"
# Customers are known by their E.164 number, the same identity (and merge key) the SMS
# channel vouches for, so one person's texts and calls are one history.
PHONE_IDENTITY = "phone"
TEXT_REFUSED = (
    "a phone conversation carries calls, not text: call the customer back, "
    "or write to them on another channel"
)


class FreeSwitchConfig(BaseModel):
    """Where the built-in connector reaches the PBX's event socket (mod_event_socket)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=8021, ge=1, le=65535)
    # A recording's URL from the call's hang-up event: "{file}" is the file name in the
    # channel variable ``recording_variable``, "{path}" its full path, "{call_id}" the
    # call's Unique-ID; None: calls carry no recording link.
    recording_url_template: str | None = Field(default=None, max_length=500)
    recording_variable: str = Field(default="recording_file", min_length=1, max_length=100)


class PhoneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str = Field(min_length=24, max_length=200, description="signs the CTI events")
    country_code: str = Field(
        default="86",
        pattern=r"^[1-9][0-9]{0,2}$",
        description="for numbers the PBX gives without one (E.164 normalisation)",
    )
    group_id: int | None = Field(
        default=None, description="missed calls wait in this group's queue for a call-back"
    )
    extensions: dict[str, str] = Field(
        default_factory=dict,
        max_length=2000,
        description="the PBX's agent extension → the agent's e-mail in Huiliu",
    )
    close_when_answered_call_ends: bool = Field(
        default=True,
        description="close the conversation when an answered call ends (the call was the "
        "service); a missed call always stays open as a call-back task",
    )
    freeswitch: FreeSwitchConfig | None = Field(
        default=None, description="connect to this FreeSWITCH's event socket"
    )
    freeswitch_password: str | None = Field(
        default=None, max_length=200, description="the event socket's password"
    )


class PhoneChannel:
    channel: ClassVar[str] = CHANNEL
    label: ClassVar[str] = "电话 / 呼叫中心"
    secret_fields: ClassVar[tuple[str, ...]] = ("secret", "freeswitch_password")
    reply_window_s: ClassVar[float | None] = None
    config_model: ClassVar[type[BaseModel]] = PhoneConfig

    def identity_channel(self, config: dict[str, Any]) -> str:
        return PHONE_IDENTITY

    def generated_secrets(self) -> dict[str, str]:
        return {"secret": secrets.token_urlsafe(32)}

    async def deliver(self, services: Services, outgoing: Outgoing) -> Sent:
        # Text cannot be carried into a call; failing at once (not retrying) shows the
        # agent why on the message, and the notes and call records stay as they are.
        return Sent.failed(TEXT_REFUSED)


ADAPTER = PhoneChannel()
