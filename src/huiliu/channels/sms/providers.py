"""SMS gateways behind one interface, and the one shipped: Twilio Programmable Messaging.

Twilio (https://www.twilio.com/docs/messaging/guides/webhook-request,
https://www.twilio.com/docs/usage/webhooks/webhooks-security,
https://www.twilio.com/docs/messaging/api/message-resource): an inbound SMS is a form POST
(``MessageSid, From, To, Body, NumMedia, MediaUrl0, MediaContentType0 …``) signed in
``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, the URL Twilio called + every POST
parameter's name and value, sorted by name)); a reply is ``POST
/2010-04-01/Accounts/{AccountSid}/Messages.json`` with basic auth, answered with the
message's ``sid`` or an error's ``code`` and ``message``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from huiliu.channels.base import Sent
from huiliu.channels.sms.settings import SmsConfig
from huiliu.integrations.egress import EgressBlocked

Params = Sequence[tuple[str, str]]
ERROR_CHARS = 300


class MalformedPush(ValueError):
    """The gateway's push lacks what every message has (its id, the sender)."""


@dataclass(frozen=True, slots=True)
class SmsMedia:
    url: str
    content_type: str | None


@dataclass(frozen=True, slots=True)
class SmsIn:
    """One inbound text as the gateway describes it."""

    message_id: str
    sender: str  # E.164
    recipient: str
    body: str
    media: tuple[SmsMedia, ...] = ()
    # The gateway's opt-out handling recognised a keyword: STOP, START or HELP.
    opt_out: str | None = None


@dataclass(frozen=True, slots=True)
class SmsStatus:
    """A delivery-status callback: ``failed`` and ``undelivered`` are final failures."""

    message_id: str
    status: str
    error: str | None


class SmsProvider(Protocol):
    name: ClassVar[str]

    def verify(
        self, config: SmsConfig, url: str, params: Params, headers: Mapping[str, str]
    ) -> bool:
        """Whether the push was signed by the gateway for this account."""

    def parse(self, params: Params) -> SmsIn:
        """The push as a message; ``MalformedPush`` when it is not one."""

    def parse_status(self, params: Params) -> SmsStatus | None:
        """A delivery-status callback; None when the push is not one."""

    def media_host(self, config: SmsConfig) -> str:
        """The origin (scheme://host[:port]) Huiliu may fetch media from, with the
        account's credentials."""

    async def send(
        self,
        http: httpx.AsyncClient,
        config: SmsConfig,
        to: str,
        body: str,
        status_url: str | None = None,
    ) -> Sent:
        """Send one text; never raises for the gateway's refusal."""


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def twilio_signature(auth_token: str, url: str, params: Params) -> str:
    """Twilio's X-Twilio-Signature of a form POST to ``url``."""
    data = url + "".join(k + v for k, v in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    """The URL as given, without its port and with the default one: Twilio signs https
    URLs with or without the port depending on how the webhook was configured (its own
    libraries try both)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    ported = urlunsplit(
        (parts.scheme, f"{host}:{parts.port or default}", parts.path, parts.query, "")
    )
    return list(dict.fromkeys([url, bare, ported]))


def _first(params: Params, name: str) -> str | None:
    return next((v for k, v in params if k == name), None)


class Twilio:
    name: ClassVar[str] = "twilio"

    def verify(
        self, config: SmsConfig, url: str, params: Params, headers: Mapping[str, str]
    ) -> bool:
        given = headers.get("x-twilio-signature", "")
        if not given:
            return False
        return any(
            hmac.compare_digest(
                twilio_signature(config.auth_token, candidate, params).encode(), given.encode()
            )
            for candidate in _port_variants(url)
        )

    def parse(self, params: Params) -> SmsIn:
        sid = _first(params, "MessageSid") or _first(params, "SmsSid")
        sender = (_first(params, "From") or "").strip()
        if not sid:
            raise MalformedPush("MessageSid is missing")
        if not sender:
            raise MalformedPush("From is missing")
        count = _first(params, "NumMedia") or "0"
        if not count.isdigit():
            raise MalformedPush("NumMedia is not a number")
        media = []
        for n in range(min(int(count), 10)):  # Twilio sends at most 10
            url = _first(params, f"MediaUrl{n}")
            if url:
                media.append(SmsMedia(url, _first(params, f"MediaContentType{n}")))
        opt_out = (_first(params, "OptOutType") or "").upper() or None
        return SmsIn(
            message_id=sid,
            sender=sender,
            recipient=_first(params, "To") or "",
            body=_first(params, "Body") or "",
            media=tuple(media),
            opt_out=opt_out,
        )

    def parse_status(self, params: Params) -> SmsStatus | None:
        sid, status = _first(params, "MessageSid"), _first(params, "MessageStatus")
        if not sid or not status:
            return None
        code = _first(params, "ErrorCode")
        error = f"Twilio error {code}" if code else None
        return SmsStatus(sid, status, error)

    def media_host(self, config: SmsConfig) -> str:
        return origin(config.api_base)

    async def send(
        self,
        http: httpx.AsyncClient,
        config: SmsConfig,
        to: str,
        body: str,
        status_url: str | None = None,
    ) -> Sent:
        url = f"{config.api_base}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        form = {"To": to, "Body": body}
        if config.messaging_service_sid:
            form["MessagingServiceSid"] = config.messaging_service_sid
        else:
            assert config.from_number is not None  # the settings check one is given
            form["From"] = config.from_number
        if status_url:
            form["StatusCallback"] = status_url
        try:
            response = await http.post(
                url, data=form, auth=(config.account_sid, config.auth_token), timeout=10.0
            )
        except EgressBlocked as exc:
            return Sent.failed(str(exc))
        except httpx.TimeoutException:
            return Sent.retry("Twilio did not answer within 10 s")
        except httpx.HTTPError as exc:
            return Sent.retry(f"could not reach Twilio: {type(exc).__name__}: {exc}")
        raw = response.text[:ERROR_CHARS]
        try:
            answer = response.json()
        except ValueError:
            answer = None
        answer = answer if isinstance(answer, dict) else {}
        if 200 <= response.status_code < 300 and isinstance(answer.get("sid"), str):
            return Sent.ok(answer["sid"], raw=raw)
        error = _twilio_error(response.status_code, answer, raw)
        if response.status_code == 429 or response.status_code >= 500:
            return Sent.retry(error, raw=raw)
        return Sent.failed(error, raw=raw)


# Twilio's codes whose own message says too little to an agent.
_EXPLAINED = {
    21610: "the customer has opted out of texts from this number (replied STOP); "
    "they must text START before they can be reached",
    21211: "the customer's number is not a valid phone number",
    21614: "the customer's number cannot receive SMS (not a mobile number)",
    21408: "this Twilio account may not send to the customer's country",
    21617: "the text is longer than Twilio's 1600 characters",
    20003: "Twilio refused the account SID and auth token",
}


def _twilio_error(status: int, answer: Mapping[str, object], raw: str) -> str:
    code = answer.get("code")
    message = answer.get("message")
    if isinstance(code, int):
        explained = _EXPLAINED.get(code)
        told = explained or (str(message) if message else "refused")
        return f"Twilio error {code}: {told}"
    if status == 429:
        return "Twilio: too many requests"
    return f"Twilio HTTP {status}" + (f": {raw.strip()}" if raw.strip() else "")


PROVIDERS: dict[str, SmsProvider] = {"twilio": Twilio()}
