"""Agent assist latency: from a customer's message to the serving agent's ``suggestions``.

    .venv/bin/python bench/assist.py [--messages 200]

Starts ``huiliu serve`` on a fresh embedded deployment with the demo merchant (its 164-entry
FAQ, bot and group), puts one agent online, opens a conversation that the customer hands
over to a person ("人工"), then sends the in-domain set's held-out questions one at a time and
times each from the send to the agent's ``suggestions`` frame for that message (the full
path: socket, store, commit, match, bus, socket). Loopback only; the server is stopped at
the end, on error too.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

HERE = Path(__file__).resolve().parent
QUERIES = HERE / "data" / "ecommerce_zh" / "queries.csv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def recv_until(ws: websockets.ClientConnection, match: object, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if callable(match) and match(frame):
            return frame


async def drive(base: str, ws_base: str, demo: dict, texts: list[str]) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as http:
        agent = demo["agents"][0]
        token = (await http.post("/api/v1/auth/login", json=agent)).json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        me = (await http.put("/api/v1/me/status", json={"status": "online"}, headers=auth)).json()
        visitor = (
            await http.post("/api/v1/widget/sessions", json={"widget_key": demo["widget_key"]})
        ).json()["visitor_token"]
    async with (
        websockets.connect(f"{ws_base}/ws/agent?token={token}") as agent_ws,
        websockets.connect(f"{ws_base}/ws/visitor?token={visitor}") as visitor_ws,
    ):
        await visitor_ws.send(
            json.dumps(
                {
                    "type": "message.send",
                    "client_msg_id": "h",
                    "content": {"type": "text", "text": "人工"},
                }
            )
        )
        assigned = await recv_until(
            agent_ws,
            lambda f: (
                f["type"] == "message.new"
                and f["message"]["content"].get("event") == "assigned"
                and f["message"]["content"].get("account_id") == me["id"]
            ),
        )
        cid = assigned["message"]["conversation_id"]
        latencies = []
        for n, text in enumerate(texts):
            frame = {
                "type": "message.send",
                "client_msg_id": f"q{n}",
                "conversation_id": cid,
                "content": {"type": "text", "text": text},
            }
            started = time.perf_counter()
            await visitor_ws.send(json.dumps(frame))
            ack = await recv_until(visitor_ws, lambda f, n=n: f.get("client_msg_id") == f"q{n}")
            await recv_until(
                agent_ws, lambda f, s=ack["seq"]: f["type"] == "suggestions" and f["seq"] == s
            )
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    with QUERIES.open(encoding="utf-8", newline="") as f:
        texts = [row["text"] for row in csv.DictReader(f) if row["intent"]][: args.messages]
    with tempfile.TemporaryDirectory(prefix="huiliu-assist-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUILIU_")}
        env["HUILIU_DATA_DIR"] = str(Path(tmp) / "data")
        port = free_port()
        cli = [sys.executable, "-m", "huiliu"]
        subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True, timeout=120)
        demo = json.loads(
            subprocess.run(
                [*cli, "demo", "--json", "--base-url", f"http://127.0.0.1:{port}"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
        )
        log = (Path(tmp) / "server.log").open("wb")
        server = subprocess.Popen(
            [*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/healthz", trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            latencies = asyncio.run(drive(base, f"ws://127.0.0.1:{port}", demo, texts))
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()
    ordered = sorted(latencies)
    print(f"agent assist, {len(ordered)} customer messages, one at a time (send → suggestions):")
    print(
        f"p50 {statistics.median(ordered):.1f} ms, p95 {ordered[int(0.95 * len(ordered))]:.1f} ms, "
        f"max {ordered[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
