"""A verified WeChat push into the pipeline: a follower's message becomes a message, an event
becomes one (a subscription, a menu click) or is logged and ignored (unsubscribe, VIEW,
location reports …).

Images, voice notes and videos are fetched from WeChat by their ``MediaId``
(``media/get``, never the push's ``PicUrl``, which anyone who can post could point
anywhere) and stored in Huiliu's files, so agents see them at a Huiliu URL.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from huiliu.auth.principal import Principal
from huiliu.channels import actions
from huiliu.channels import service as channels_service
from huiliu.channels.actions import Received
from huiliu.channels.base import Identity, Inbound, Services
from huiliu.channels.models import ChannelAccount, Direction, EventStatus
from huiliu.channels.wechat.adapter import UNION_CHANNEL, WechatConfig
from huiliu.channels.wechat.client import ApiError, TooLarge, WechatApi
from huiliu.channels.wechat.push import Push, PushError
from huiliu.contacts import service as contacts_service
from huiliu.files import service as files_service

if TYPE_CHECKING:
    from huiliu.runtime import Runtime

log = logging.getLogger(__name__)

# A channel's notice rather than a question: the bot greets (the conversation opens) and
# should not answer it (docs/channels/wechat.md; the bot skips "notice:" buttons).
SUBSCRIBE_BUTTON = "notice:wechat-subscribe"
# Fetching a follower's media must leave time to answer within WeChat's 5 seconds.
MEDIA_TIMEOUT_S = 3.5
SCENE_ATTRIBUTE = "wechat_scene"
VOICE_MIME = {"amr": "audio/amr", "speex": "audio/speex", "mp3": "audio/mpeg"}
IGNORED_EVENTS = ("unsubscribe", "view", "location", "view_miniprogram")


class Handling:
    def __init__(
        self,
        runtime: Runtime,
        services: Services,
        account: ChannelAccount,
        config: WechatConfig,
        base_url: str,
    ) -> None:
        self.runtime = runtime
        self.services = services
        self.account = account
        self.config = config
        self.base_url = base_url.rstrip("/")

    def sender(self, push: Push) -> Identity:
        union = push.get("UnionId")
        return Identity(
            channel=f"wechat:{self.config.appid}",
            external_id=push.openid,
            merge_keys=[(UNION_CHANNEL, union)] if union else (),
        )

    async def handle(self, push: Push, raw: str) -> Received | None:
        """Store or log one push; None when it was seen before (WeChat retried)."""
        external_id = push.dedupe_id
        async with self.runtime.db.read() as session:
            prior = await channels_service.find_event(
                session,
                account_id=self.account.id,
                direction=Direction.inbound,
                external_id=external_id[:255],
            )
        if prior is not None and prior.status is not EventStatus.received:
            return None  # before fetching any media again
        if push.msg_type == "event":
            content = await self._event(push)
        else:
            content = await self._message(push)
        if content is None:
            await actions.ignore(self.runtime, self.account, external_id, raw)
            return Received("ignored")
        return await actions.receive(
            self.runtime,
            self.account,
            Inbound(external_id=external_id, sender=self.sender(push), content=content, raw=raw),
        )

    # -- events ---------------------------------------------------------------------------

    async def _event(self, push: Push) -> dict[str, Any] | None:
        event = push.event.lower()
        key = push.get("EventKey")
        if event == "subscribe":
            scene = key.removeprefix("qrscene_") if key.startswith("qrscene_") else ""
            if scene:
                await self._remember_scene(push, scene)
            # A message opens the conversation, so the bot greets the new follower.
            text = "关注了公众号" + (f"（扫码场景：{scene}）" if scene else "")
            return {"type": "text", "text": text, "button_id": SUBSCRIBE_BUTTON}
        if event == "scan":
            if key:
                await self._remember_scene(push, key)
            return None
        if event == "click" and key:
            # A menu key that is one of the bot's button ids (menu:…, kb:…, handoff) acts
            # like the tapped button; any other key reaches the agents as the key itself.
            content: dict[str, Any] = {"type": "text", "text": f"[菜单] {key}"}
            if len(key) <= 64:
                content["button_id"] = key
            return content
        if event not in IGNORED_EVENTS:
            log.info("wechat account %d: ignoring event %r", self.account.id, push.event)
        return None

    async def _remember_scene(self, push: Push, scene: str) -> None:
        """The QR code's scene the follower came by (a campaign, a shop's counter) as the
        contact's attribute ``wechat_scene``, for agents and routing rules to read."""
        sender = self.sender(push)
        async with self.runtime.db.write() as session:
            contact = await contacts_service.resolve_channel_identity(
                session,
                tenant_id=self.account.tenant_id,
                channel=sender.channel,
                external_id=sender.external_id,
                merge_keys=sender.merge_keys,
            )
            contact.attributes = {**(contact.attributes or {}), SCENE_ATTRIBUTE: scene[:64]}

    # -- messages -------------------------------------------------------------------------

    async def _message(self, push: Push) -> dict[str, Any] | None:
        kind = push.msg_type
        if kind == "text":
            content: dict[str, Any] = {"type": "text", "text": push.need("Content")}
            menu_id = push.get("bizmsgmenuid")  # a tapped msgmenu item: our button's id
            if menu_id and len(menu_id) <= 64:
                content["button_id"] = menu_id
            return content
        if kind == "location":
            try:
                lat, lng = float(push.need("Location_X")), float(push.need("Location_Y"))
            except ValueError:
                raise PushError("Location_X and Location_Y must be numbers") from None
            place: dict[str, Any] = {"type": "location", "lat": lat, "lng": lng}
            if push.get("Label"):
                place["address"] = push.get("Label")[:500]
            return place
        if kind == "link":
            lines = [push.get("Title"), push.get("Description"), push.need("Url")]
            return {"type": "text", "text": "[链接] " + "\n".join(x for x in lines if x)}
        if kind in ("image", "voice", "video", "shortvideo"):
            return await self._media(push, kind)
        log.info("wechat account %d: ignoring message type %r", self.account.id, kind)
        return None

    async def _media(self, push: Push, kind: str) -> dict[str, Any]:
        media_id = push.need("MediaId")
        label = {"image": "图片", "voice": "语音"}.get(kind, "视频")
        api = WechatApi(self.services, self.account.id, self.config.appid, self.config.app_secret)
        try:
            media = await api.media(media_id, limit=self.runtime.settings.max_upload_bytes)
        except (ApiError, TooLarge) as exc:
            # Stored as a note so the agent knows something came (WeChat keeps media 3 days).
            log.info("wechat account %d: media %s not fetched: %s", self.account.id, kind, exc)
            return {"type": "text", "text": f"[{label}：未能从微信取得文件（{exc}）]"}
        if media.video_url:
            return {"type": "video", "url": media.video_url}
        if kind == "voice":
            fmt = push.get("Format").lower()
            mime = VOICE_MIME.get(fmt, media.mime or "application/octet-stream")
            name = media.name or f"voice.{fmt or 'amr'}"
        elif kind == "image":
            mime, name = media.mime, media.name or "image.jpg"
        else:
            mime, name = media.mime or "video/mp4", media.name or "video.mp4"
        url, image = await self._store(push, name, mime, media.data)
        if kind == "image" and image is not None:
            return {
                "type": "image",
                "url": url,
                "size": len(media.data),
                "width": image.width,
                "height": image.height,
                "name": name,
            }
        if kind == "voice":
            return {"type": "audio", "url": url, "mime": mime}
        if kind in ("video", "shortvideo"):
            return {"type": "video", "url": url, "mime": mime}
        return {"type": "file", "url": url, "name": name, "size": len(media.data)}

    async def _store(self, push: Push, name: str, mime: str, data: bytes) -> tuple[str, Any]:
        """Keep the file as the follower's upload; its URL as the files API gives it."""
        sender = self.sender(push)
        async with self.runtime.db.write() as session:
            contact = await contacts_service.resolve_channel_identity(
                session,
                tenant_id=self.account.tenant_id,
                channel=sender.channel,
                external_id=sender.external_id,
                merge_keys=sender.merge_keys,
            )
            row, image = await files_service.create(
                session,
                uploader=Principal(kind="visitor", tenant_id=self.account.tenant_id, id=contact.id),
                name=name,
                declared=mime,
                data=data,
            )
            key, stored_name = row.key, row.name
        return f"{self.base_url}/files/{key}/{quote(stored_name, safe='')}", image
