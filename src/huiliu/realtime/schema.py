"""The protocol as JSON Schema, generated from the frame and content models.

``docs/protocol.schema.json`` is this output; a test fails when the two differ, so the
document cannot drift from the code (``huiliu schema > docs/protocol.schema.json``).
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import models_json_schema

from huiliu.conversations.content import Content
from huiliu.realtime import PROTOCOL_VERSION
from huiliu.realtime.frames import CLIENT_FRAMES, SERVER_FRAMES


def protocol_schema() -> dict[str, Any]:
    models = [(m, "validation") for m in CLIENT_FRAMES] + [
        (m, "serialization") for m in SERVER_FRAMES
    ]
    refs, schema = models_json_schema(models, ref_template="#/$defs/{model}")  # type: ignore[arg-type]
    content = TypeAdapter(Content).json_schema(ref_template="#/$defs/{model}")
    defs = {**schema.get("$defs", {}), **content.pop("$defs", {})}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"Huiliu real-time protocol v{PROTOCOL_VERSION}",
        "client_frames": [refs[(m, "validation")] for m in CLIENT_FRAMES],
        "server_frames": [refs[(m, "serialization")] for m in SERVER_FRAMES],
        "content": content,
        "$defs": dict(sorted(defs.items())),
    }
