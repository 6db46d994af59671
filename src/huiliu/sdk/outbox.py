"""The messages sent but not yet acknowledged, in the order of sending; optionally a file.

With a path, the outbox is a JSON file rewritten atomically (a temporary file in the same
directory, then ``os.replace``), so a reader never sees half of it. A message is on disk
before it first goes on the wire: a process that dies after ``send()`` resends it on its
next start, with the same ``client_msg_id``, and the server stores it at most once.
Removals (acks) are written lazily (:meth:`Outbox.flush`): after a crash a message acked in
the last moment may go again, and the server answers it from the store.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """A message sent but not yet acknowledged (also the ``sending`` event)."""

    client_msg_id: str
    content: dict[str, Any]
    # None: a visitor's open conversation (opened if there is none).
    conversation_id: int | None = None
    # When send() was called (seconds since the epoch).
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "client_msg_id": self.client_msg_id,
            "conversation_id": self.conversation_id,
            "content": self.content,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: Any) -> PendingMessage | None:
        """The message stored as ``data``, or None when it is not one."""
        if not isinstance(data, dict):
            return None
        cmid, content, cid = (
            data.get("client_msg_id"),
            data.get("content"),
            data.get("conversation_id"),
        )
        if not isinstance(cmid, str) or not cmid or not isinstance(content, dict):
            return None
        if cid is not None and (not isinstance(cid, int) or isinstance(cid, bool)):
            return None
        created = data.get("created_at")
        return cls(
            client_msg_id=cmid,
            content=content,
            conversation_id=cid,
            created_at=float(created) if isinstance(created, int | float) else time.time(),
        )


class Outbox:
    """Ordered by sending; ``on_error`` hears about a file that cannot be read or written
    (the outbox then goes on in memory)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self._items: dict[str, PendingMessage] = {}
        self._on_error = on_error or (lambda exc: None)
        self._dirty = False
        # Until load() has read the file, writing it would lose what it holds.
        self._loaded = self.path is None

    def load(self) -> list[PendingMessage]:
        """Read the file (once); its messages go before any added meanwhile, and nothing is
        written before it has been read. Returns the restored messages.

        An unreadable file is moved aside (``<name>.corrupt-<time>``) rather than overwritten.
        """
        if self.path is None or self._loaded:
            return []
        self._loaded = True
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.flush()
            return []
        except OSError as exc:
            self._on_error(exc)
            return []
        try:
            data = json.loads(raw)
            entries = data["messages"] if isinstance(data, dict) else None
            if not isinstance(entries, list):
                raise ValueError("no 'messages' list")
        except (ValueError, KeyError) as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            self._on_error(
                ValueError(f"unreadable outbox file {self.path} (moved to {aside}): {exc}")
            )
            return []
        restored = [
            m
            for m in (PendingMessage.from_json(e) for e in entries)
            if m is not None and m.client_msg_id not in self._items
        ]
        newer = list(self._items.values())
        self._items = {m.client_msg_id: m for m in (*restored, *newer)}
        if newer:
            self._dirty = True
        self.flush()
        return restored

    def add(self, message: PendingMessage) -> None:
        """Queue a message (last) and write the file now."""
        self._items[message.client_msg_id] = message
        self._dirty = True
        self.flush()

    def remove(self, client_msg_id: str) -> PendingMessage | None:
        """Take a message out (acknowledged or refused); written by the next :meth:`flush`."""
        message = self._items.pop(client_msg_id, None)
        if message is not None:
            self._dirty = True
        return message

    def get(self, client_msg_id: str) -> PendingMessage | None:
        return self._items.get(client_msg_id)

    def __contains__(self, client_msg_id: object) -> bool:
        return client_msg_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def entries(self) -> list[PendingMessage]:
        """Oldest first."""
        return list(self._items.values())

    @property
    def dirty(self) -> bool:
        """Whether the file is behind the outbox in memory."""
        return self._dirty and self.path is not None

    def flush(self) -> None:
        """Write the file if it is behind (atomically: a reader sees the old or the new)."""
        if self.path is None or not self._dirty or not self._loaded:
            return
        body = json.dumps(
            {"version": FORMAT_VERSION, "messages": [m.to_json() for m in self._items.values()]},
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(body)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            self._on_error(exc)  # disk full, read-only: keep going in memory
            return
        self._dirty = False
