"""docs/protocol.md and docs/protocol.schema.json stay true to the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from huiliu.conversations.content import CONTENT_TYPES
from huiliu.realtime import frames
from huiliu.realtime.schema import protocol_schema

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "protocol.md").read_text()


def frame_type(model: Any) -> str:
    return str(model.model_fields["type"].annotation.__args__[0])


def test_schema_file_is_generated_from_the_models() -> None:
    on_disk = json.loads((ROOT / "docs" / "protocol.schema.json").read_text())
    assert on_disk == protocol_schema(), "run: huiliu schema > docs/protocol.schema.json"


def test_every_frame_type_is_documented() -> None:
    headings = set(re.findall(r"^### (.+)$", DOC, flags=re.M))
    documented = {t for h in headings for t in re.findall(r"`([a-z.]+)`", h)}
    for model in (*frames.CLIENT_FRAMES, *frames.SERVER_FRAMES):
        assert frame_type(model) in documented, frame_type(model)
    assert set(frames.CLIENT_FRAME_TYPES) == {frame_type(m) for m in frames.CLIENT_FRAMES}


def test_every_content_type_is_documented() -> None:
    for content_type in CONTENT_TYPES:
        assert f"| `{content_type}` |" in DOC, content_type


def test_every_error_code_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "src" / "huiliu").rglob("*.py"))
    codes = set(re.findall(r'\bcode(?: = |=)"([a-z_]+)"', source))
    codes -= {"bad_request", "internal", "unauthorized"}  # fallbacks no route raises as such
    assert codes
    for code in sorted(codes):
        assert f"`{code}`" in DOC, code


def test_every_close_code_is_documented() -> None:
    for name in dir(frames):
        if name.startswith("CLOSE_"):
            assert f"| {getattr(frames, name)} |" in DOC, name


def test_openapi_file_is_generated_from_the_routes() -> None:
    from huiliu.app import create_app
    from huiliu.config import Settings

    on_disk = json.loads((ROOT / "docs" / "openapi.json").read_text())
    live = create_app(Settings(secret_key="0" * 32)).openapi()
    assert on_disk == live, "run: huiliu openapi > docs/openapi.json"
