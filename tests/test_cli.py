"""The `huiliu` command: migrate and demo on a fresh embedded deployment."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

from tests.server import ProcessServer
from tests.services import free_port


def huiliu(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUILIU_DATA_DIR": str(data_dir)}
    env.pop("HUILIU_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "huiliu", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_then_demo_is_idempotent_and_prints_credentials(tmp_path: Path) -> None:
    migrated = huiliu("migrate", data_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "huiliu.db").exists()
    first = huiliu("demo", "--json", data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert set(data) >= {"widget_key", "admin", "supervisor", "agents"}
    assert len(data["agents"]) == 3
    assert all(set(a) == {"email", "password"} for a in data["agents"])
    second = huiliu("demo", "--json", data_dir=tmp_path)
    assert json.loads(second.stdout) == data
    table = huiliu("demo", data_dir=tmp_path)
    assert data["widget_key"] in table.stdout
    assert data["admin"]["email"] in table.stdout


def test_demo_credentials_log_in_on_a_served_instance(tmp_path: Path) -> None:
    assert huiliu("migrate", data_dir=tmp_path).returncode == 0
    data = json.loads(huiliu("demo", "--json", data_dir=tmp_path).stdout)
    srv = ProcessServer({"HUILIU_DATA_DIR": str(tmp_path)}, free_port(), tmp_path / "server.log")
    srv.start()
    try:
        with httpx.Client(base_url=srv.base_url) as http:
            for cred in (data["admin"], data["supervisor"], *data["agents"]):
                r = http.post("/api/v1/auth/login", json=cred)
                assert r.status_code == 200, r.text
            r = http.post("/api/v1/widget/sessions", json={"widget_key": data["widget_key"]})
            assert r.status_code == 201
            health = http.get("/healthz").json()
            assert health["status"] == "ok"
            assert health["bot_index"] in ("building", "ready")  # the demo FAQ builds at start
            deadline = time.monotonic() + 120
            while http.get("/healthz").json()["bot_index"] != "ready":
                assert time.monotonic() < deadline, "the demo FAQ's index never finished"
                time.sleep(0.1)
    finally:
        srv.stop()


def test_bad_setting_is_reported_clearly(tmp_path: Path) -> None:
    env_result = subprocess.run(
        [sys.executable, "-m", "huiliu", "migrate"],
        env={**os.environ, "HUILIU_DATA_DIR": str(tmp_path), "HUILIU_SECRET_KEY": "short"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert env_result.returncode != 0
    assert "secret_key" in env_result.stderr
    assert "at least 32 characters" in env_result.stderr


def test_tokens_never_reach_the_server_log(tmp_path: Path) -> None:
    assert huiliu("migrate", data_dir=tmp_path).returncode == 0
    data = json.loads(huiliu("demo", "--json", data_dir=tmp_path).stdout)
    log = tmp_path / "server.log"
    srv = ProcessServer(
        {"HUILIU_DATA_DIR": str(tmp_path), "HUILIU_LOG_LEVEL": "info"}, free_port(), log
    )
    srv.start()
    try:
        with httpx.Client(base_url=srv.base_url) as http:
            token = http.post(
                "/api/v1/widget/sessions", json={"widget_key": data["widget_key"]}
            ).json()["visitor_token"]

        async def handshake() -> None:
            async with websockets.connect(f"{srv.ws_url}/ws/visitor?token={token}") as ws:
                await ws.recv()

        asyncio.run(handshake())
    finally:
        srv.stop()
    text = log.read_text()
    assert "/ws/visitor?token=…" in text  # the handshake was logged …
    assert token not in text  # … without the token


def test_the_demo_shop_bot_greets_and_answers_from_its_faq(tmp_path: Path) -> None:
    assert huiliu("migrate", data_dir=tmp_path).returncode == 0
    data = json.loads(huiliu("demo", "--json", data_dir=tmp_path).stdout)
    srv = ProcessServer({"HUILIU_DATA_DIR": str(tmp_path)}, free_port(), tmp_path / "server.log")
    srv.start()
    try:
        with httpx.Client(base_url=srv.base_url) as http:
            token = http.post(
                "/api/v1/widget/sessions", json={"widget_key": data["widget_key"]}
            ).json()["visitor_token"]

        async def chat() -> list[dict[str, object]]:
            from_bot: list[dict[str, object]] = []
            async with websockets.connect(f"{srv.ws_url}/ws/visitor?token={token}") as ws:
                frame = {
                    "type": "message.send",
                    "client_msg_id": "demo-1",
                    "content": {"type": "text", "text": "退款要多久才能到我账上"},
                }
                await ws.send(json.dumps(frame))
                while len(from_bot) < 3:
                    got = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if got["type"] == "message.new" and got["message"]["sender"]["type"] == "bot":
                        from_bot.append(got["message"]["content"])
            return from_bot

        greeting, menu, answer = asyncio.run(chat())
    finally:
        srv.stop()
    assert "机器人" in str(greeting["text"])
    assert menu["type"] == "menu"
    assert answer["type"] == "answer"
    assert answer["question"] == "退款多久能到账？"


def test_kb_import_and_export_from_the_command_line(tmp_path: Path) -> None:
    assert huiliu("migrate", data_dir=tmp_path).returncode == 0
    assert huiliu("demo", "--json", data_dir=tmp_path).returncode == 0
    exported = tmp_path / "kb.xlsx"
    result = huiliu("kb", "export", str(exported), "--tenant", "demo", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "164 entries" in result.stdout
    again = huiliu("kb", "import", str(exported), "--tenant", "demo", data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "created 0, updated 164, failed rows 0" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\n,no question here\n新问题,新答案\n", encoding="utf-8")
    partly = huiliu("kb", "import", str(bad), "--tenant", "demo", data_dir=tmp_path)
    assert partly.returncode == 1
    assert "created 1, updated 0, failed rows 1" in partly.stdout
    assert "must not be empty" in partly.stdout
    missing = huiliu("kb", "import", str(bad), "--tenant", "nosuch", data_dir=tmp_path)
    assert missing.returncode == 2
    assert "no tenant" in missing.stderr


def test_demo_people_only_makes_no_group_faq_or_bot(tmp_path: Path) -> None:
    assert huiliu("migrate", data_dir=tmp_path).returncode == 0
    done = huiliu("demo", "--json", "--people-only", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["agents"]) == 3
    exported = huiliu(
        "kb", "export", str(tmp_path / "kb.csv"), "--tenant", "demo", data_dir=tmp_path
    )
    assert "0 entries" in exported.stdout
