"""WeChat's server API for one official account: the access token, customer-service messages,
temporary media. Calls go through the guarded client (``services.http``) to the fixed API
base (``HUILIU_WECHAT_API_BASE``), never to a URL a push or a message names.

The access token comes from ``GET /cgi-bin/token?grant_type=client_credential`` (the classic
endpoint: one call, no body) and is kept in ``wechat_access_tokens`` until shortly before
its ``expires_in``, so every process uses the same one. A call WeChat answers with an
invalid or expired token (40001, 42001, 40014: another process may have fetched a newer
one, or WeChat retired it early) fetches a fresh token and is retried once.
https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy.exc import IntegrityError

from huiliu.channels.base import Services
from huiliu.channels.wechat.models import WechatAccessToken
from huiliu.db.base import utcnow

TOKEN_MARGIN_S = 300  # fetch anew this long before WeChat's expiry
TOKEN_REFUSED = frozenset({40001, 40014, 42001})
TIMEOUT_S = 10.0


class ApiError(Exception):
    """WeChat answered with a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str, raw: str = "") -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.raw = raw


class TooLarge(Exception):
    """A media file larger than Huiliu stores."""


@dataclass(frozen=True, slots=True)
class Media:
    data: bytes
    mime: str  # as WeChat labels it
    name: str | None
    video_url: str | None = None  # media/get of a video answers a link, not bytes


def _check(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        raise ApiError(-2, f"HTTP {response.status_code}, not JSON", response.text[:300]) from None
    if not isinstance(answer, dict):
        raise ApiError(-2, "the answer is not a JSON object", response.text[:300])
    code = answer.get("errcode", 0)
    if code not in (0, None):
        raise ApiError(int(code), str(answer.get("errmsg", "")), response.text[:300])
    if response.status_code >= 500:
        raise ApiError(-1, f"HTTP {response.status_code}", response.text[:300])
    return answer


class WechatApi:
    def __init__(
        self,
        services: Services,
        account_id: int,
        appid: str,
        secret: str,
        *,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self._services = services
        self._timeout_s = timeout_s
        self._account_id = account_id
        self._appid = appid
        self._secret = secret
        self._base = services.settings.wechat_api_base.rstrip("/")

    # -- the access token -----------------------------------------------------------------

    async def token(self, *, refused: str | None = None) -> str:
        """The account's access token; ``refused``: the one WeChat just refused (fetched
        anew unless another process replaced it already)."""
        db = self._services.db
        async with db.read() as session:
            row = await session.get(WechatAccessToken, self._account_id)
            if (
                row is not None
                and row.appid == self._appid
                and row.access_token != refused
                and row.expires_at > utcnow() + timedelta(seconds=TOKEN_MARGIN_S)
            ):
                return row.access_token
        response = await self._services.http.get(
            f"{self._base}/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self._appid,
                "secret": self._secret,
            },
            timeout=self._timeout_s,
        )
        answer = _check(response)
        token = str(answer.get("access_token") or "")
        if not token:
            raise ApiError(-2, "the token answer has no access_token", response.text[:300])
        expires = utcnow() + timedelta(seconds=int(answer.get("expires_in") or 7200))
        await self._keep(token, expires)
        return token

    async def _keep(self, token: str, expires: Any) -> None:
        for _ in range(2):  # another process may insert the row between our read and write
            try:
                async with self._services.db.write() as session:
                    row = await session.get(WechatAccessToken, self._account_id)
                    if row is None:
                        session.add(
                            WechatAccessToken(
                                account_id=self._account_id,
                                appid=self._appid,
                                access_token=token,
                                expires_at=expires,
                            )
                        )
                    else:
                        row.appid, row.access_token = self._appid, token
                        row.expires_at, row.updated_at = expires, utcnow()
                return
            except IntegrityError:
                continue

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call with the access token; once more with a fresh token when WeChat
        refuses the one it was given."""
        token = await self.token()
        for attempt in range(2):
            params = {**kwargs.pop("params", {}), "access_token": token}
            response = await self._services.http.request(
                method, f"{self._base}{path}", params=params, timeout=self._timeout_s, **kwargs
            )
            kwargs["params"] = {k: v for k, v in params.items() if k != "access_token"}
            code = _errcode(response)
            if code in TOKEN_REFUSED and attempt == 0:
                token = await self.token(refused=token)
                continue
            return response
        raise AssertionError("unreachable")

    # -- the calls ------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """``POST /cgi-bin/message/custom/send``: a customer-service message."""
        response = await self._call(
            "POST",
            "/cgi-bin/message/custom/send",
            content=orjson.dumps(message),
            headers={"content-type": "application/json"},
        )
        return _check(response)

    async def send_template(self, message: dict[str, Any]) -> dict[str, Any]:
        """``POST /cgi-bin/message/template/send``: a template message (no 48-hour window;
        the template is the merchant's, approved in WeChat's console)."""
        response = await self._call(
            "POST",
            "/cgi-bin/message/template/send",
            content=orjson.dumps(message),
            headers={"content-type": "application/json"},
        )
        return _check(response)

    async def upload(self, kind: str, data: bytes, name: str, mime: str) -> str:
        """``POST /cgi-bin/media/upload``: a temporary media file (3 days); its media_id."""
        response = await self._call(
            "POST",
            "/cgi-bin/media/upload",
            params={"type": kind},
            files={"media": (name, data, mime)},
        )
        media_id = str(_check(response).get("media_id") or "")
        if not media_id:
            raise ApiError(-2, "the upload answer has no media_id", response.text[:300])
        return media_id

    async def media(self, media_id: str, *, limit: int) -> Media:
        """``GET /cgi-bin/media/get``: what the customer sent (an image, a voice note …)."""
        response = await self._call("GET", "/cgi-bin/media/get", params={"media_id": media_id})
        mime = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if mime in ("application/json", "text/plain", "text/json") or not response.content:
            answer = _check(response)  # an error, or a video's link
            url = str(answer.get("video_url") or "")
            if not url.startswith(("https://", "http://")):
                raise ApiError(-2, "media/get answered neither a file nor a video link")
            return Media(b"", "video/mp4", None, video_url=url)
        if len(response.content) > limit:
            raise TooLarge(f"the file is {len(response.content)} bytes; the limit is {limit}")
        return Media(response.content, mime, _filename(response))


def _errcode(response: httpx.Response) -> int:
    if not response.headers.get("content-type", "").startswith(("application/json", "text/")):
        return 0
    try:
        answer = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return 0
    return int(answer.get("errcode") or 0) if isinstance(answer, dict) else 0


def _filename(response: httpx.Response) -> str | None:
    disposition = response.headers.get("content-disposition", "")
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename" and value:
            return str(value).strip().strip('"')
    return None
