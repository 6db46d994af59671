"""The e-mail channel end to end on loopback: mail is sent into the embedded SMTP server
with a real SMTP client, replies are caught by a local SMTP sink (the account's outbound
server), and a small IMAP4rev1 server (tests/fake_imap.py) is polled."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from huiliu.channels.email import threads
from huiliu.channels.email.parse import trim_quoted
from huiliu.config import Settings
from tests.clients import bearer
from tests.conftest import TEST_SECRET, make_settings, module_backend
from tests.factories import World
from tests.fake_imap import FakeImap
from tests.server import ThreadServer
from tests.services import Backend, free_port

MAX_UPLOAD = 64 * 1024
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    + b"\x00" * 40
)


@dataclass
class Caught:
    rcpt: list[str]
    mail_from: str
    message: EmailMessage


class Sink:
    """The merchant's outbound SMTP server: keeps every mail it is given."""

    def __init__(self) -> None:
        self.mails: list[Caught] = []
        self.refuse: dict[str, str] = {}  # recipient → the SMTP answer to give
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        assert isinstance(message, EmailMessage)
        self.mails.append(Caught(list(envelope.rcpt_tos), envelope.mail_from or "", message))
        return "250 OK: queued"

    def to(self, address: str) -> list[EmailMessage]:
        return [c.message for c in self.mails if address in c.rcpt]

    async def wait(self, address: str, count: int = 1, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no mail for {address} at the sink"
            await asyncio.sleep(0.05)
        return self.to(address)


@pytest.fixture(scope="module")
def settings(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """This module's settings: the embedded SMTP server on, IMAP polled every second, on a
    database of the module's own where the session's server would get in the way."""
    own = module_backend(backend, tmp_path_factory.mktemp("email"), "email")
    return make_settings(own, smtp_port=free_port(), imap_poll_s=1, max_upload_bytes=MAX_UPLOAD)


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ThreadServer]:
    """This module's own server."""
    srv = ThreadServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    s = Sink()
    s.controller.start()
    yield s
    s.controller.stop()


def smtp_port(server: ThreadServer) -> int:
    return int(server.runtime.settings.smtp_port)


async def make_account(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink, **extra: Any
) -> dict[str, Any]:
    address = f"support-{secrets.token_hex(4)}@shop.example"
    r = await http.post(
        "/api/v1/tenant/channels",
        json={
            "type": "email",
            "name": "客服邮箱",
            "config": {
                "address": address,
                "display_name": "Shop Support",
                "public_url": server.base_url,
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.controller.port,
                "smtp_security": "none",
                **extra,
            },
        },
        headers=bearer(world.admin.token),
    )
    assert r.status_code == 201, r.text
    account: dict[str, Any] = r.json()
    return account


def mail(
    to: str, sender: str = "", subject: str = "订单 1234 还没到", text: str = "你好，我的快递呢？"
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Lin <{sender or f'lin-{secrets.token_hex(3)}@customer.example'}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.example")
    msg.set_content(text)
    return msg


async def send(server: ThreadServer, msg: EmailMessage | bytes, **kwargs: Any) -> Any:
    if isinstance(msg, bytes):
        return await aiosmtplib.send(
            msg, hostname="127.0.0.1", port=smtp_port(server), timeout=10, **kwargs
        )
    return await aiosmtplib.send(msg, hostname="127.0.0.1", port=smtp_port(server), timeout=10)


async def send_bounce(server: ThreadServer, data: bytes, to: str) -> None:
    """A delivery report comes with the null return path (MAIL FROM:<>)."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port(server), timeout=10)
    async with client:
        await client.ehlo()
        await client.mail("")
        await client.rcpt(to)
        await client.data(data)


async def events(http: httpx.AsyncClient, world: World, account: dict[str, Any]) -> list[Any]:
    r = await http.get(
        f"/api/v1/tenant/channels/{account['id']}/events", headers=bearer(world.admin.token)
    )
    assert r.status_code == 200, r.text
    found: list[Any] = r.json()
    return found


async def messages(http: httpx.AsyncClient, world: World, cid: int) -> list[dict[str, Any]]:
    r = await http.get(
        f"/api/v1/conversations/{cid}/messages", headers=bearer(world.supervisor.token)
    )
    assert r.status_code == 200, r.text
    return [m for m in r.json()["messages"] if m["sender"]["type"] != "system"]


async def conversation_of(
    http: httpx.AsyncClient, world: World, account: dict[str, Any], message_id: str
) -> int:
    found = [e for e in await events(http, world, account) if e["external_id"] == message_id]
    assert found, f"no event for {message_id}"
    assert found[0]["status"] == "stored", found
    cid: int = found[0]["conversation_id"]
    return cid


async def agent_reply(http: httpx.AsyncClient, world: World, cid: int, text: str) -> int:
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "text", "text": text}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    message_id: int = r.json()["message_id"]
    return message_id


async def wait_for(check: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


# -- settings ---------------------------------------------------------------------------------


async def test_account_settings_are_checked_and_passwords_never_shown(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(
        http, world, server, sink, smtp_user="bot@shop.example", smtp_password="pw-123"
    )
    assert "smtp_password" not in account["config"]
    assert account["secrets_set"] == ["smtp_password"]
    admin = bearer(world.admin.token)
    for bad, field in (
        ({"address": "not an address"}, "config.address"),
        ({"address": "a+b@shop.example"}, "config.address"),
        ({"smtp_security": "tls13"}, "config.smtp_security"),
        ({"smtp_host": "smtp://mail.example"}, "config.smtp_host"),
    ):
        r = await http.patch(
            f"/api/v1/tenant/channels/{account['id']}", json={"config": bad}, headers=admin
        )
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field
    r = await http.patch(
        f"/api/v1/tenant/channels/{account['id']}",
        json={"config": {"imap_host": "imap.shop.example"}},
        headers=admin,
    )
    assert r.status_code == 422
    assert "imap_user" in r.json()["detail"]


# -- in, out, and threading -------------------------------------------------------------------


async def test_a_mail_opens_a_conversation_and_the_agents_reply_arrives_threaded(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    address = account["config"]["address"]
    customer = f"lin-{secrets.token_hex(3)}@customer.example"
    first = mail(address, customer)
    await send(server, first)
    cid = await conversation_of(http, world, account, first["Message-ID"])
    stored = await messages(http, world, cid)
    assert [m["content"] for m in stored] == [
        {"type": "text", "text": "你好，我的快递呢？", "subject": "订单 1234 还没到"}
    ]
    conv = (
        await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
    ).json()
    assert conv["channel"] == "email"
    assert conv["contact_name"] == "Lin"

    await agent_reply(http, world, cid, "您好，已经发货了。\n\n单号 SF123")
    [reply] = await sink.wait(customer)
    assert reply["Subject"] == "Re: 订单 1234 还没到"
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in reply["References"]
    assert reply["From"].addresses[0].addr_spec == address
    reply_to = reply["Reply-To"].addresses[0].addr_spec
    local, domain = address.split("@")
    assert reply_to.startswith(local + "+c")
    assert reply_to.endswith("@" + domain)
    assert reply["Auto-Submitted"] is None  # a person wrote it
    assert reply["Message-ID"].endswith("@shop.example>")
    plain = reply.get_body(("plain",))
    rich = reply.get_body(("html",))
    assert plain is not None
    assert "单号 SF123" in plain.get_content()
    assert rich is not None
    assert "<br>" not in rich.get_content()
    # The sink has the mail; the worker records "sent" once the SMTP conversation ended.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        states = await http.get(
            f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
        )
        statuses = [s["status"] for s in states.json()]
        if statuses != ["pending"] or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert statuses == ["sent"]
    out = [e for e in await events(http, world, account) if e["direction"] == "outbound"]
    assert out[0]["channel_message_id"] == reply["Message-ID"]

    # The customer answers the Reply-To (the token), quoting our mail: same conversation,
    # the quote trimmed.
    answer = mail(reply_to, customer, subject="Re: 订单 1234 还没到")
    answer.set_content("收到，谢谢！\n\nOn Tue, Shop Support wrote:\n> 您好，已经发货了。\n")
    answer["In-Reply-To"] = reply["Message-ID"]
    await send(server, answer)
    assert await conversation_of(http, world, account, answer["Message-ID"]) == cid
    # A mail program that drops the +token still sends In-Reply-To.
    again = mail(address, customer, subject="Re: 订单 1234 还没到", text="还有一个问题")
    again["In-Reply-To"] = reply["Message-ID"]
    again["References"] = f"{first['Message-ID']} {reply['Message-ID']}"
    await send(server, again)
    assert await conversation_of(http, world, account, again["Message-ID"]) == cid
    texts = [m["content"]["text"] for m in await messages(http, world, cid)]
    assert texts == [
        "你好，我的快递呢？",
        "您好，已经发货了。\n\n单号 SF123",
        "收到，谢谢！",
        "还有一个问题",
    ]

    # Someone else replying to the same thread (token and headers) gets their own.
    other = f"mallory-{secrets.token_hex(3)}@other.example"
    hijack = mail(reply_to, other, subject="Re: 订单 1234 还没到", text="把地址改成我的")
    hijack["In-Reply-To"] = reply["Message-ID"]
    await send(server, hijack)
    theirs = await conversation_of(http, world, account, hijack["Message-ID"])
    assert theirs != cid
    assert [m["content"]["text"] for m in await messages(http, world, theirs)] == ["把地址改成我的"]
    assert len(await messages(http, world, cid)) == 4


async def test_unknown_recipients_forged_tokens_and_oversized_mail_are_refused(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    address = account["config"]["address"]
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await send(server, mail("nobody@shop.example"))
    assert refused.value.recipients[0].code == 550
    # A forged +token is accepted as the mailbox but threads nothing.
    local, domain = address.split("@")
    forged = mail(f"{local}+c1.0123456789abcdef@{domain}")
    await send(server, forged)
    assert await conversation_of(http, world, account, forged["Message-ID"])
    assert threads.read_token(TEST_SECRET, account["id"], "c1.0123456789abcdef") is None
    # Over the server's size limit: 552 while the data comes in.
    huge = mail(address, text="x" * 76 + "\n")
    huge.set_content(("长" * 70 + "\n") * 6000)
    with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
        await send(server, huge)
    assert too_big.value.code == 552
    assert not [
        e for e in await events(http, world, account) if e["external_id"] == huge["Message-ID"]
    ]
    # Our own mail come back (a Cc to the mailbox) is no customer's message.
    echo = mail(address, address)
    await send(server, echo)
    logged = {e["external_id"]: e for e in await events(http, world, account)}
    assert logged[echo["Message-ID"]]["status"] == "ignored"
    # Switched off: its address is no longer ours.
    await http.patch(
        f"/api/v1/tenant/channels/{account['id']}",
        json={"active": False},
        headers=bearer(world.admin.token),
    )
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send(server, mail(address))


async def test_the_same_message_id_twice_is_stored_once(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    msg = mail(account["config"]["address"])
    await send(server, msg)
    await send(server, msg)  # the sending server retried after a lost 250
    cid = await conversation_of(http, world, account, msg["Message-ID"])
    assert len(await messages(http, world, cid)) == 1
    assert len([e for e in await events(http, world, account) if e["direction"] == "inbound"]) == 1


async def test_a_malformed_mime_body_is_refused_with_a_reason_and_nothing_stored(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    address = account["config"]["address"]
    broken = (
        f"From: lin@customer.example\r\nTo: {address}\r\nSubject: broken\r\n"
        "Message-ID: <broken-1@customer.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed\r\n\r\nno boundary anywhere\r\n"
    ).encode()
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await send(server, broken, sender="lin@customer.example", recipients=[address])
    assert refused.value.code == 550
    assert "malformed MIME" in refused.value.message
    logged = await events(http, world, account)
    assert [(e["status"], e["error"]) for e in logged] == [
        ("rejected", "malformed MIME structure: NoBoundaryInMultipartDefect")
    ]
    conversations = await http.get("/api/v1/conversations", headers=bearer(world.supervisor.token))
    assert conversations.status_code == 200
    assert conversations.json() == []


# -- content -------------------------------------------------------------------------------------


async def test_an_html_mail_is_sanitized_and_keeps_its_subject(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    msg = mail(account["config"]["address"], subject="Invoice")
    msg.set_content(
        "<p onclick='steal()'>Please send the <b>invoice</b></p><script>alert(1)</script>",
        subtype="html",
    )
    await send(server, msg)
    cid = await conversation_of(http, world, account, msg["Message-ID"])
    [stored] = await messages(http, world, cid)
    content = stored["content"]
    assert content["type"] == "rich"
    assert content["subject"] == "Invoice"
    assert "<b>invoice</b>" in content["html"]
    assert "script" not in content["html"]
    assert "onclick" not in content["html"]


async def test_attachments_are_stored_and_downloadable_and_oversized_ones_logged(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    msg = mail(account["config"]["address"], text="发票和照片在附件里")
    msg.add_attachment(
        b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="发票.pdf"
    )
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="photo.png")
    msg.add_attachment(
        b"z" * (MAX_UPLOAD + 1), maintype="application", subtype="octet-stream", filename="big.bin"
    )
    await send(server, msg)
    cid = await conversation_of(http, world, account, msg["Message-ID"])
    stored = [m["content"] for m in await messages(http, world, cid)]
    assert [c["type"] for c in stored] == ["text", "file", "image"]
    pdf, image = stored[1], stored[2]
    assert pdf["name"] == "发票.pdf"
    assert pdf["size"] == 16
    assert image["width"] == 2
    assert image["height"] == 3
    for content, data in ((pdf, b"%PDF-1.4 invoice"), (image, PNG)):
        got = await http.get(content["url"])
        assert got.status_code == 200
        assert got.content == data
    logged = {e["external_id"]: e for e in await events(http, world, account)}
    big = logged[msg["Message-ID"] + "#3"]
    assert big["status"] == "rejected"
    assert f"the limit is {MAX_UPLOAD}" in big["error"]

    # An agent's file goes back out as a real attachment, read from Huiliu's store.
    await http.post(f"/api/v1/conversations/{cid}/claim", headers=bearer(world.agent.token))
    r = await http.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"content": {"type": "file", "url": pdf["url"], "name": "发票.pdf"}},
        headers=bearer(world.agent.token),
    )
    assert r.status_code == 201, r.text
    sender = msg["From"].addresses[0].addr_spec
    [out] = await sink.wait(sender)
    [attached] = list(out.iter_attachments())
    assert attached.get_filename() == "发票.pdf"
    assert attached.get_content() == b"%PDF-1.4 invoice"


# -- loops -------------------------------------------------------------------------------------


async def test_the_bot_greets_by_mail_but_never_answers_a_machine(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    from tests.kb_data import enable_bot

    await enable_bot(http, world, name="小汇")
    account = await make_account(http, world, server, sink)
    address = account["config"]["address"]
    person = f"p-{secrets.token_hex(3)}@customer.example"
    await send(server, mail(address, person, text="你好"))
    # The greeting first (the bot may say more, such as its menu, in later mails).
    greeting = (await sink.wait(person))[0]
    assert greeting["Auto-Submitted"] == "auto-replied"
    assert "小汇" in (greeting.get_body(("plain",)) or greeting).get_content()

    machines: list[str] = []
    for header, value in (
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        ("List-Id", "<news.customer.example>"),
        ("X-Auto-Response-Suppress", "All"),
    ):
        sender = f"robot-{secrets.token_hex(3)}@customer.example"
        msg = mail(address, sender, text="I am out of office")
        msg[header] = value
        await send(server, msg)
        machines.append(sender)
        cid = await conversation_of(http, world, account, msg["Message-ID"])
        conv = (
            await http.get(f"/api/v1/conversations/{cid}", headers=bearer(world.supervisor.token))
        ).json()
        assert conv["with_bot"] is False  # stored for the agents, straight to the queue
    await asyncio.sleep(1.5)
    assert all(not sink.to(m) for m in machines)


async def test_a_bounce_of_our_reply_marks_its_delivery_failed(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    address = account["config"]["address"]
    customer = f"gone-{secrets.token_hex(3)}@customer.example"
    first = mail(address, customer)
    await send(server, first)
    cid = await conversation_of(http, world, account, first["Message-ID"])
    message_id = await agent_reply(http, world, cid, "您好")
    [reply] = await sink.wait(customer)
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@customer.example>"
    report["To"] = address
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="customer.example")
    report.set_content("The mail could not be delivered.")
    report.add_attachment(
        f"Message-ID: {reply['Message-ID']}\r\nTo: {customer}\r\n".encode(),
        maintype="text",
        subtype="rfc822-headers",
    )

    async def in_state(status: str) -> Any:
        r = await http.get(
            f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
        )
        return [s for s in r.json() if s["message_id"] == message_id and s["status"] == status]

    # A bounce comes back after our server handed the mail over (the worker records "sent"
    # once the SMTP conversation ended; the sink has it a moment before).
    await wait_for(lambda: in_state("sent"))
    await send_bounce(server, report.as_bytes(), address)

    async def failed() -> Any:
        r = await http.get(
            f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
        )
        return [s for s in r.json() if s["message_id"] == message_id and s["status"] == "failed"]

    [state] = await wait_for(failed)
    assert state["error"].startswith("bounced")
    assert len(await messages(http, world, cid)) == 2  # the bounce is no message
    # A bounce about nobody we wrote to is logged and dropped.
    stray = EmailMessage()
    stray["From"] = "MAILER-DAEMON@elsewhere.example"
    stray["To"] = address
    stray["Message-ID"] = make_msgid(domain="elsewhere.example")
    stray.set_content("returned")
    await send_bounce(server, stray.as_bytes(), address)
    logged = {e["external_id"]: e for e in await events(http, world, account)}
    assert logged[stray["Message-ID"]]["status"] == "ignored"
    assert logged[stray["Message-ID"]]["conversation_id"] is None


async def test_a_refused_reply_fails_with_the_servers_answer(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    account = await make_account(http, world, server, sink)
    customer = f"bad-{secrets.token_hex(3)}@customer.example"
    sink.refuse[customer] = "550 5.1.1 User unknown"
    first = mail(account["config"]["address"], customer)
    await send(server, first)
    cid = await conversation_of(http, world, account, first["Message-ID"])
    message_id = await agent_reply(http, world, cid, "您好")

    async def failed() -> Any:
        r = await http.get(
            f"/api/v1/conversations/{cid}/deliveries", headers=bearer(world.agent.token)
        )
        return [s for s in r.json() if s["message_id"] == message_id and s["status"] == "failed"]

    [state] = await wait_for(failed)
    assert state["error"] == "SMTP 550: 5.1.1 User unknown"


# -- IMAP ----------------------------------------------------------------------------------------


async def test_imap_polling_takes_mail_in_once_and_marks_it_seen(
    http: httpx.AsyncClient, world: World, server: ThreadServer, sink: Sink
) -> None:
    imap = FakeImap("support", "imap-pass", folder="INBOX")
    imap.start()
    try:
        account = await make_account(
            http,
            world,
            server,
            sink,
            imap_host="127.0.0.1",
            imap_port=imap.port,
            imap_security="none",
            imap_user="support",
            imap_password="imap-pass",
        )
        assert sorted(account["secrets_set"]) == ["imap_password"]
        msg = mail(account["config"]["address"], text="从 IMAP 来的邮件")
        uid = imap.deliver(msg.as_bytes())

        async def stored() -> Any:
            found = [
                e
                for e in await events(http, world, account)
                if e["external_id"] == msg["Message-ID"]
            ]
            return found and found[0]["status"] == "stored" and "\\Seen" in imap.flags(uid)

        await wait_for(stored)
        cid = await conversation_of(http, world, account, msg["Message-ID"])
        assert [m["content"]["text"] for m in await messages(http, world, cid)] == [
            "从 IMAP 来的邮件"
        ]
        # The flag lost (another mail program cleared it): fetched again, stored once.
        fetched = len(imap.fetched)
        imap.flags(uid).clear()
        await wait_for(lambda: _true(len(imap.fetched) > fetched and "\\Seen" in imap.flags(uid)))
        await asyncio.sleep(1.2)
        assert len(await messages(http, world, cid)) == 1
    finally:
        imap.stop()


async def _true(value: bool) -> bool:
    return value


# -- units -------------------------------------------------------------------------------------


def test_quoted_history_is_trimmed_only_when_something_is_left() -> None:
    assert trim_quoted("Thanks!\n\nOn Mon, 1 Dec 2026, Shop wrote:\n> old\n> text\n") == "Thanks!"
    assert trim_quoted("好的\n\n在 2026年12月1日，客服 写道：\n> 旧的\n") == "好的"
    assert trim_quoted("new\n-----Original Message-----\nFrom: x\n\nold") == "new"
    assert trim_quoted("> only a quote\n") == "> only a quote"
    assert trim_quoted("On Monday we wrote: the plan\nis fine") == (
        "On Monday we wrote: the plan\nis fine"
    )


def test_tokens_are_bound_to_the_account_and_conversation() -> None:
    token = threads.token("k" * 40, 7, 42)
    assert threads.read_token("k" * 40, 7, token) == 42
    assert threads.read_token("k" * 40, 8, token) is None
    assert threads.read_token("x" * 40, 7, token) is None
    assert threads.plus_tag(f"Support+{token}@Shop.Example", "support@shop.example") == token
    assert threads.plus_tag("support@shop.example", "support@shop.example") == ""
    assert threads.plus_tag("supporter@shop.example", "support@shop.example") is None


def test_a_delivery_status_report_names_our_message_and_the_reason() -> None:
    from huiliu.channels.email.parse import parse

    dsn = (
        b"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n"
        b"To: support@shop.example\r\nSubject: Undelivered Mail\r\n"
        b"Message-ID: <dsn-1@mx.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; gone@customer.example\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Message-ID: <abc.huiliu.5@shop.example>\r\nFrom: support@shop.example\r\n\r\nhi\r\n"
        b"--B--\r\n"
    )
    parsed = parse(dsn)
    assert parsed.bounce
    assert parsed.bounced_ids == ["<abc.huiliu.5@shop.example>"]
    assert parsed.bounce_reason is not None
    assert parsed.bounce_reason.startswith("diagnostic-code: smtp; 550 5.1.1 User unknown")
