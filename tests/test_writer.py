"""The message writer on its own: overload is refused up front, nothing half-stored."""

from __future__ import annotations

import asyncio

import httpx

from huiliu.bus.memory import MemoryBus
from huiliu.conversations.writer import MessageWriter, SendRequest
from huiliu.db import Database
from huiliu.errors import AppError
from tests.clients import Connect, open_conversation
from tests.factories import World
from tests.test_messages import stored_seqs


async def test_a_full_writer_refuses_with_busy_and_stores_only_what_it_accepted(
    http: httpx.AsyncClient, connect: Connect, world: World, db: Database
) -> None:
    visitor, _agent, cid = await open_conversation(http, connect, world)
    before = await stored_seqs(db, cid)
    from huiliu.auth.principal import Principal

    principal = Principal(
        kind="visitor", tenant_id=world.tenant_id, id=visitor.hello["principal"]["id"]
    )
    writer = MessageWriter(db, MemoryBus().publish, batch_size=8, queue_limit=5)
    await writer.start()
    try:
        futures = [
            writer.submit(
                SendRequest(
                    principal=principal,
                    conversation_id=cid,
                    client_msg_id=f"flood-{n}",
                    content={"type": "text", "text": f"#{n}"},
                )
            )
            for n in range(20)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
    finally:
        await writer.stop()
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(accepted) == 5
    assert len(refused) == 15
    assert {r.code for r in refused} == {"busy"}
    assert await stored_seqs(db, cid) == [*before, *range(before[-1] + 1, before[-1] + 6)]
