"""Relay benchmark: Huiliu's WebSocket gateway against a bare relay (bench/bare_relay.py).

Starts ``huiliu serve`` as a subprocess on a fresh embedded deployment (SQLite in a temporary
HUILIU_DATA_DIR, in-process bus, default settings), sets up visitor–agent pairs through the
public API (widget session, first message on /ws/visitor, the agent claims the conversation),
and drives them from load-generator processes separate from the server:

* relay, closed loop: every pair keeps ``--window`` 1 KB text messages bouncing between its
  visitor and its agent (each delivery triggers the reply) for ``--duration`` seconds: what
  the server delivers at saturation, and the latency from send to delivery of ``message.new``
  on the other side (the text starts with the client's send time);
* relay, open loop: sends scheduled on a timer at each of ``--rates`` msg/s in total (half from
  the visitors, half from the agents), replies or not; latency counts from the scheduled time;
* the same two against the bare relay, and the ratio Huiliu/bare;
* idle: RSS of a fresh server process per idle visitor socket (``--idle`` sockets);
* reconnect: connect → hello → close loops, ``--reconnect-workers`` at a time.

The pairs share Huiliu's three demo agents; each agent has one socket, as in a workbench, so an
agent socket carries a third of the pairs. On the bare relay every pair has its own two
sockets. Every relay phase gets new pairs (new visitors, new conversations), so no conversation
holds more than one phase's messages (the database keeps growing); with ``--reuse-pairs`` every
phase runs on the same pairs and their conversations keep growing (Huiliu's later phases then
run slower). Every phase also checks what it measured: each message acked once, delivered once
to the other side (and, on Huiliu, echoed once to its sender), and every socket seeing the seqs
of its conversations without gaps or repeats.

Loopback only; every loop is bounded and every subprocess is stopped at the end, on error too.

    .venv/bin/python bench/relay.py [--pairs 50] [--duration 10] [--window 1 8]
        [--rates 1000 2500 5000] [--idle 10000] [--only relay bare idle reconnect] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import multiprocessing as mp
import os
import random
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

HERE = Path(__file__).resolve().parent
BARE_RELAY = HERE / "bare_relay.py"
HOST = "127.0.0.1"
TEXT_CHARS = 1024  # every benchmark message is a 1 KB text
PAD = "x" * TEXT_CHARS
HEARTBEAT_EVERY_S = 20.0  # Huiliu closes sockets silent for 2 x 25 s
DRAIN_MAX_S = 180.0  # after a phase, waiting for what is in flight stops after this long,
DRAIN_STALL_S = 5.0  # or after this long without a single frame arriving
PHASES = ("relay", "bare", "idle", "reconnect")
T = TypeVar("T")


class BenchError(RuntimeError):
    """The benchmark could not go on (a server refused, a worker died, a setup step failed)."""


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ================================================================ processes and /proc


def raise_nofile() -> int:
    """Raise this process's open-file limit to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _child_preexec() -> None:
    """In a server subprocess before exec: more file descriptors, and die with the driver."""
    raise_nofile()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process (all its threads)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0, 0.0
    fields = data[data.rindex(")") + 2 :].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return float(total - idle), float(total)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


class Server:
    """A server subprocess (``huiliu serve`` or the bare relay) logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.ws_url = f"ws://{HOST}:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def wal_mb(self) -> float | None:
        """The size of the embedded database's write-ahead log (Huiliu only)."""
        wal = self.workdir / "data" / "huiliu.db-wal"
        return round(wal.stat().st_size / 2**20, 1) if wal.exists() else None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [*self.argv, "--port", str(self.port)],
                env=self.env,
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_child_preexec,  # the driver runs no threads of its own
            )
        deadline = time.monotonic() + 60
        with httpx.Client(trust_env=False, timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise BenchError(f"{self.name} exited: {self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(self.base_url + "/healthz").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"{self.name} did not start: {self.log_tail()}")
                time.sleep(0.1)
        log(f"{self.name}: pid {self.pid} on port {self.port}, log {self.log_path}")

    def health(self) -> dict[str, Any]:
        with httpx.Client(trust_env=False, timeout=30) as http:
            body: dict[str, Any] = http.get(self.base_url + "/healthz").json()
            return body

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_problems(self) -> list[str]:
        """Lines of the server log that look like trouble (errors, warnings, tracebacks)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        words = ("ERROR", "CRITICAL", "WARNING", "Traceback", "Exception")
        return [line for line in lines if any(w in line for w in words)]


def source_revision() -> str:
    """The git commit of the Huiliu under test, and whether src/ differs from it."""
    root = HERE.parent

    def git(*argv: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *argv], capture_output=True, text=True, timeout=30
            )
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--", "src")
    return commit + (" + uncommitted changes in src/" if dirty else "")


EXTRA_ENV: dict[str, str] = {}  # settings given with --set


def huiliu_env(data_dir: Path) -> dict[str, str]:
    """The environment of an embedded deployment in ``data_dir``: defaults, plus --set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUILIU_")}
    env["HUILIU_DATA_DIR"] = str(data_dir)
    env.update(EXTRA_ENV)
    return env


def start_huiliu(name: str, root: Path, started: list[Server]) -> tuple[Server, dict[str, Any]]:
    """migrate, demo --json, serve: a fresh Huiliu (appended to ``started`` before it starts,
    so it is stopped whatever happens) and its demo credentials."""
    workdir = root / name
    workdir.mkdir()
    env = huiliu_env(workdir / "data")
    cli = [sys.executable, "-m", "huiliu"]
    # The bare pipeline: no group (the agents claim), no bot, no knowledge base.
    for step in (["migrate"], ["demo", "--json", "--people-only"]):
        done = subprocess.run(
            [*cli, *step], env=env, cwd=workdir, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise BenchError(f"huiliu {' '.join(step)} failed: {done.stderr[-2000:]}")
    demo: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    server = Server(name, [*cli, "serve"], env, workdir)
    started.append(server)
    server.start()
    return server, demo


def start_bare(name: str, root: Path, started: list[Server]) -> Server:
    workdir = root / name
    workdir.mkdir()
    server = Server(name, [sys.executable, str(BARE_RELAY)], dict(os.environ), workdir)
    started.append(server)
    server.start()
    return server


# ================================================================ HTTP setup (Huiliu API)


async def _pool(count: int, concurrency: int, job: Callable[[int], Awaitable[T]]) -> list[T]:
    """Run ``job(i)`` for i in range(count), at most ``concurrency`` at a time, in order."""
    results: list[T | None] = [None] * count
    next_index = iter(range(count))

    async def runner() -> None:
        for i in next_index:
            results[i] = await job(i)

    await asyncio.gather(*(runner() for _ in range(min(concurrency, count))))
    return [r for r in results if r is not None]


def _http(base_url: str, concurrency: int = 32) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        trust_env=False,
        timeout=120,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


def _expect(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body


async def widget_sessions(base_url: str, widget_key: str, count: int) -> list[str]:
    """``count`` visitor tokens, from concurrent POST /api/v1/widget/sessions."""
    async with _http(base_url) as http:

        async def one(_i: int) -> str:
            r = await http.post("/api/v1/widget/sessions", json={"widget_key": widget_key})
            token: str = _expect(r, 201, "widget session")["visitor_token"]
            return token

        return await _pool(count, 32, one)


async def agents_online(base_url: str, agents: list[dict[str, str]]) -> list[str]:
    """Log the agents in and set them online; their access tokens."""
    tokens = []
    async with _http(base_url) as http:
        for cred in agents:
            r = await http.post("/api/v1/auth/login", json=cred)
            token = _expect(r, 200, f"login {cred['email']}")["access_token"]
            r = await http.put(
                "/api/v1/me/status",
                json={"status": "online"},
                headers={"authorization": f"Bearer {token}"},
            )
            _expect(r, 200, "set status online")
            tokens.append(token)
    return tokens


async def conversation_action(base_url: str, action: str, todo: list[tuple[str, int]]) -> None:
    """POST /conversations/{id}/{action} (claim, close) for each (agent token, conversation)."""
    async with _http(base_url) as http:

        async def one(i: int) -> bool:
            token, cid = todo[i]
            r = await http.post(
                f"/api/v1/conversations/{cid}/{action}",
                headers={"authorization": f"Bearer {token}"},
            )
            if r.status_code == 409 and "capacity" in r.text:
                raise BenchError(
                    f"{action} conversation {cid}: {r.text[:300]} (the pairs are spread over the"
                    " 3 demo agents, each serving at most its capacity: lower --pairs)"
                )
            _expect(r, 200, f"{action} conversation {cid}")
            return True

        await _pool(len(todo), 16, one)


# ================================================================ the load generator


def text_with_stamp(stamp_ns: int) -> str:
    head = f"{stamp_ns} "
    return head + PAD[: TEXT_CHARS - len(head)]


async def open_socket(url: str) -> tuple[ClientConnection, dict[str, Any]]:
    """A socket and its hello frame."""
    ws = await connect(
        url,
        compression=None,
        max_size=2**22,
        ping_interval=None,  # the server pings; Huiliu's own heartbeat is the app-level ping
        open_timeout=60,
        close_timeout=10,
        proxy=None,
        user_agent_header=None,
    )
    try:
        hello = orjson.loads(await asyncio.wait_for(ws.recv(decode=False), 30))
    except BaseException:
        await ws.close()
        raise
    if hello.get("type") != "hello":
        await ws.close()
        raise BenchError(f"expected hello, got {hello}")
    return ws, hello


class Sock:
    """One client socket; ``side`` is the sender type its own messages carry."""

    __slots__ = ("close_code", "last_seq", "name", "retired", "side", "waiters", "ws")

    def __init__(self, ws: ClientConnection, side: str, name: str) -> None:
        self.ws = ws
        self.side = side
        self.name = name
        self.last_seq: dict[int, int] = {}
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.close_code: int | None = None
        self.retired = False  # closed on purpose


@dataclass(slots=True)
class Pair:
    idx: int
    visitor: Sock
    agent: Sock
    conversation_id: int = 0
    counters: list[int] = field(default_factory=lambda: [0, 0])  # messages sent per side


@dataclass(slots=True)
class Run:
    """One measured phase inside one worker."""

    prefix: str
    closed_loop: bool
    t_measure: int
    t_end: int
    sent: int = 0
    send_failed: int = 0
    acked: int = 0
    echoes: int = 0
    duplicates: int = 0
    in_window: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    sent_ids: set[str] = field(default_factory=set)
    delivered: set[str] = field(default_factory=set)
    latencies: list[int] = field(default_factory=list)
    sent_at: list[int] = field(default_factory=list)  # each latency's send time, ns
    lags: list[int] = field(default_factory=list)


PairSpec = tuple[int, str, str]  # (pair index, visitor token, agent key)
Reply = tuple[Run, Pair, int]  # send on this pair from this side (0 visitor, 1 agent)


class Worker:
    """A load-generator process: holds sockets and runs the phases the driver sends it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.ws_url = ""
        self.contiguous = False  # every socket sees every seq of its conversations (Huiliu)
        self.socks: list[Sock] = []
        self.agents_by: dict[str, Sock] = {}  # agent sockets by agent key
        self.pairs: dict[int, Pair] = {}  # by conversation id
        self.idle: list[Sock] = []
        self.run: Run | None = None
        self.closing = False
        self.seq_gaps = 0
        self.seq_dups = 0
        self.seq_samples: list[str] = []
        self.unexpected_closes: list[str] = []
        self.error_samples: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    # -- plumbing ------------------------------------------------------------------------

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        pinger = asyncio.create_task(self._heartbeat())
        handlers: dict[str, Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]] = {
            "setup": self.setup,
            "phase": self.phase,
            "reconnect": self.reconnect,
            "idle_open": self.idle_open,
            "idle_close": self.idle_close,
        }
        try:
            while True:
                command: dict[str, Any] = await loop.run_in_executor(None, self.conn.recv)
                name = command["cmd"]
                if name == "quit":
                    await self.shutdown()
                    self.conn.send({"closes": self.unexpected_closes})
                    return
                try:
                    reply = await handlers[name](command)
                except Exception as exc:  # reported to the driver, which stops the benchmark
                    reply = {"error": f"{exc!r}\n{traceback.format_exc()}"}
                self.conn.send(reply)
        finally:
            pinger.cancel()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _heartbeat(self) -> None:
        """Huiliu closes sockets silent for two heartbeats: ping like a real client."""
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY_S)
            for sock in (*self.socks, *self.idle):
                with contextlib.suppress(ConnectionClosed):
                    await sock.ws.send(b'{"type":"ping"}', text=True)

    async def _read(self, sock: Sock) -> None:
        try:
            while True:
                reply = self._on_frame(sock, await sock.ws.recv(decode=False))
                if reply is not None:  # closed loop: answer the delivery from this side
                    run, pair, side = reply
                    await self._send(run, pair, side, time.monotonic_ns())
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            sock.close_code = rcvd.code if rcvd is not None else 1006
            if not self.closing and not sock.retired:
                reason = rcvd.reason if rcvd is not None else "no close frame"
                self.unexpected_closes.append(f"{sock.name}: {sock.close_code} {reason}")

    async def _connect(self, path: str, token: str, side: str, name: str) -> Sock:
        ws, _hello = await open_socket(f"{self.ws_url}{path}?token={token}")
        sock = Sock(ws, side, name)
        self._spawn(self._read(sock))
        return sock

    async def shutdown(self) -> None:
        self.closing = True
        everything = [*self.socks, *self.idle]
        await _bounded(200, (s.ws.close() for s in everything))
        self.socks.clear()
        self.idle.clear()

    # -- frames --------------------------------------------------------------------------

    def _on_frame(self, sock: Sock, raw: bytes | str) -> Reply | None:
        frame = orjson.loads(raw)
        kind = frame.get("type")
        if kind == "message.new":
            return self._on_message(sock, frame["message"])
        if kind == "ack" or kind == "error":
            cmid = frame.get("client_msg_id")
            waiter = sock.waiters.pop(cmid, None) if cmid is not None else None
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
            run = self.run
            if kind == "ack":
                if run is not None and cmid is not None and cmid.startswith(run.prefix):
                    run.acked += 1
            else:
                if run is not None:
                    run.errors[frame.get("code", "?")] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{sock.name}: {frame}")
        return None

    def _on_message(self, sock: Sock, message: dict[str, Any]) -> Reply | None:
        now = time.monotonic_ns()
        cid: int = message["conversation_id"]
        seq: int = message["seq"]
        if self.contiguous:
            last = sock.last_seq.get(cid)
            if last is None or seq > last:
                sock.last_seq[cid] = seq
            if last is not None and seq != last + 1:
                if seq <= last:
                    self.seq_dups += 1
                else:
                    self.seq_gaps += 1
                if len(self.seq_samples) < 10:
                    self.seq_samples.append(f"{sock.name} conversation {cid}: {last} -> {seq}")
        run = self.run
        cmid = message.get("client_msg_id")
        if run is None or cmid is None or not cmid.startswith(run.prefix):
            return None  # set-up messages, system events, stragglers of an earlier phase
        sender = message["sender"]["type"]
        if sender == sock.side:
            run.echoes += 1  # Huiliu sends every socket its own messages too: not a delivery
            return None
        if cmid in run.delivered:
            run.duplicates += 1
            return None
        run.delivered.add(cmid)
        text: str = message["content"]["text"]
        stamp = int(text[: text.index(" ")])
        if run.t_measure <= stamp < run.t_end:
            run.latencies.append(now - stamp)
            run.sent_at.append(stamp - run.t_measure)
        if run.t_measure <= now < run.t_end:
            run.in_window += 1
        if run.closed_loop and now < run.t_end:
            pair = self.pairs.get(cid)
            if pair is not None:
                return run, pair, 0 if sock.side == "contact" else 1
        return None

    async def _send(self, run: Run, pair: Pair, side: int, stamp: int) -> None:
        n = pair.counters[side]
        pair.counters[side] = n + 1
        cmid = f"{run.prefix}{'va'[side]}{pair.idx}.{n}"
        frame = orjson.dumps(
            {
                "type": "message.send",
                "client_msg_id": cmid,
                "conversation_id": pair.conversation_id,
                "content": {"type": "text", "text": text_with_stamp(stamp)},
            }
        )
        run.sent += 1
        run.sent_ids.add(cmid)
        try:
            await (pair.visitor if side == 0 else pair.agent).ws.send(frame, text=True)
        except ConnectionClosed:
            run.send_failed += 1

    # -- commands ------------------------------------------------------------------------

    async def setup(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """New pairs: connect the agents not connected yet, then the visitors; each visitor
        sends its first message. The previous visitors and the agents not needed are closed."""
        self.ws_url = cmd["ws_url"]
        self.contiguous = cmd["contiguous"]
        wanted: dict[str, str] = cmd["agents"]
        retired = [s for s in self.socks if s.side == "contact"]
        retired += [self.agents_by.pop(k) for k in list(self.agents_by) if k not in wanted]
        for sock in retired:
            sock.retired = True
        await _bounded(100, (s.ws.close() for s in retired))
        missing = [k for k in wanted if k not in self.agents_by]
        connected = await _bounded(
            50, (self._connect("/ws/agent", wanted[k], "agent", f"agent {k}") for k in missing)
        )
        self.agents_by.update(zip(missing, connected, strict=True))
        agents = self.agents_by
        pairs_in: list[PairSpec] = cmd["pairs"]
        visitors = await _bounded(
            50,
            (
                self._connect("/ws/visitor", tok, "contact", f"visitor {i}")
                for i, tok, _ in pairs_in
            ),
        )
        self.socks = [*agents.values(), *visitors]
        for sock in [*connected, *visitors]:  # the first frame opens Huiliu's live-message gate
            await sock.ws.send(b'{"type":"ping"}', text=True)

        async def first_message(j: int) -> Pair:
            idx, _token, agent_key = pairs_in[j]
            visitor = visitors[j]
            cmid = f"setup.{idx}"
            waiter = asyncio.get_running_loop().create_future()
            visitor.waiters[cmid] = waiter
            frame = {
                "type": "message.send",
                "client_msg_id": cmid,
                "content": {"type": "text", "text": f"hello from visitor {idx}"},
            }
            await visitor.ws.send(orjson.dumps(frame), text=True)
            ack = await asyncio.wait_for(waiter, 60)
            if ack.get("type") != "ack":
                raise BenchError(f"first message of pair {idx}: {ack}")
            return Pair(idx, visitor, agents[agent_key], ack["conversation_id"])

        pairs = await asyncio.gather(*(first_message(j) for j in range(len(pairs_in))))
        self.pairs = {p.conversation_id: p for p in pairs}
        return {"conversations": {p.idx: p.conversation_id for p in pairs}}

    async def phase(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """A closed-loop (``window`` set) or open-loop (``rate_per_side`` set) phase."""
        t0, t_measure, t_end = cmd["t0"], cmd["t_measure"], cmd["t_end"]
        window: int | None = cmd.get("window")
        run = Run(cmd["prefix"], window is not None, t_measure, t_end)
        gaps0, dups0, closes0 = self.seq_gaps, self.seq_dups, len(self.unexpected_closes)
        await _sleep_until(t0)
        self.run = run
        pairs = list(self.pairs.values())
        if window is not None:
            for pair in pairs:
                for _ in range(window):
                    await self._send(run, pair, 0, time.monotonic_ns())
            await _sleep_until(t_end)
        else:
            interval = 1e9 / cmd["rate_per_side"]
            await asyncio.gather(
                *(
                    self._open_loop(run, pair, side, t0, interval)
                    for pair in pairs
                    for side in (0, 1)
                )
            )
        drain_s = await self._drain(run)
        await asyncio.sleep(0.2)  # late duplicates
        self.run = None
        missing = run.sent_ids - run.delivered
        return {
            "sent": run.sent,
            "send_failed": run.send_failed,
            "acked": run.acked,
            "echoes": run.echoes,
            "delivered": len(run.delivered),
            "in_window": run.in_window,
            "duplicates": run.duplicates,
            "missing": len(missing),
            "missing_samples": sorted(missing)[:5],
            "errors": dict(run.errors),
            "latencies": run.latencies,
            "sent_at": run.sent_at,
            "lags": run.lags,
            "drain_s": drain_s,
            "seq_gaps": self.seq_gaps - gaps0,
            "seq_dups": self.seq_dups - dups0,
            "closes": self.unexpected_closes[closes0:],
            "samples": self.seq_samples[:5] + self.error_samples[:5],
        }

    async def _drain(self, run: Run) -> float:
        """Wait for what is still in flight; give up after DRAIN_STALL_S without progress.

        Returns the seconds it took: an overloaded server drains its backlog here."""
        start = time.monotonic()
        last_progress, last_count = start, -1
        while time.monotonic() - start < DRAIN_MAX_S:
            expected = run.sent - run.send_failed
            answered = run.acked + sum(run.errors.values())
            echoed = run.echoes >= run.acked if self.contiguous else True
            if len(run.delivered) >= expected and answered >= expected and echoed:
                break
            count = len(run.delivered) + answered + run.echoes
            now = time.monotonic()
            if count != last_count:
                last_progress, last_count = now, count
            elif now - last_progress > DRAIN_STALL_S:
                break
            await asyncio.sleep(0.02)
        return round(time.monotonic() - start, 2)

    async def _open_loop(self, run: Run, pair: Pair, side: int, t0: int, interval: float) -> None:
        offset = random.random() * interval
        k = 0
        while True:
            scheduled = t0 + int(offset + k * interval)
            if scheduled >= run.t_end:
                return
            k += 1
            delay = scheduled - time.monotonic_ns()
            if delay > 0:
                await asyncio.sleep(delay / 1e9)
            if scheduled >= run.t_measure:
                run.lags.append(time.monotonic_ns() - scheduled)
            # The stamp is the scheduled time: a client that falls behind shows as latency.
            await self._send(run, pair, side, scheduled)

    async def reconnect(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """connect → hello → close in a loop on each token until t_end."""
        url = f"{cmd['ws_url']}{cmd['path']}?token="
        t0, t_end = cmd["t0"], cmd["t_end"]
        errors: Counter[str] = Counter()
        latencies: list[int] = []

        async def loop(token: str) -> None:
            await _sleep_until(t0)
            while time.monotonic_ns() < t_end:
                start = time.monotonic_ns()
                try:
                    ws, _hello = await open_socket(url + token)
                    await ws.close()
                except (OSError, TimeoutError, WebSocketException, BenchError) as exc:
                    errors[type(exc).__name__] += 1
                    await asyncio.sleep(0.05)
                    continue
                end = time.monotonic_ns()
                if end <= t_end:
                    latencies.append(end - start)

        await asyncio.gather(*(loop(token) for token in cmd["tokens"]))
        return {"count": len(latencies), "latencies": latencies, "errors": dict(errors)}

    async def idle_open(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Open one idle socket per token (hello received) and keep them open."""
        self.ws_url = cmd["ws_url"]
        errors: Counter[str] = Counter()
        start = time.monotonic()

        async def one(i_token: tuple[int, str]) -> None:
            i, token = i_token
            try:
                sock = await self._connect(cmd["path"], token, "contact", f"idle {i}")
            except (OSError, TimeoutError, WebSocketException, BenchError) as exc:
                errors[type(exc).__name__] += 1
                return
            self.idle.append(sock)

        await _bounded(cmd["concurrency"], (one(it) for it in enumerate(cmd["tokens"])))
        return {
            "opened": len(self.idle),
            "errors": dict(errors),
            "seconds": time.monotonic() - start,
        }

    async def idle_close(self, _cmd: dict[str, Any]) -> dict[str, Any]:
        self.closing = True
        count = len(self.idle)
        await _bounded(200, (s.ws.close() for s in self.idle))
        self.idle.clear()
        self.closing = False
        return {"closed": count, "closes": self.unexpected_closes}


async def _bounded(limit: int, coros: Iterable[Awaitable[T]]) -> list[T]:
    """Await every coroutine, at most ``limit`` at a time; results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def run(coro: Awaitable[T]) -> T:
        async with semaphore:
            return await coro

    return list(await asyncio.gather(*(run(c) for c in coros)))


async def _sleep_until(t_ns: int) -> None:
    delay = t_ns - time.monotonic_ns()
    if delay > 0:
        await asyncio.sleep(delay / 1e9)


def worker_main(conn: Connection) -> None:
    """Entry point of a load-generator process."""
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver decides when to stop
    worker = Worker(conn)
    try:
        import uvloop
    except ImportError:
        asyncio.run(worker.serve())
    else:
        uvloop.run(worker.serve())


class Workers:
    """Load-generator processes and the driver's end of their pipes."""

    def __init__(self, count: int, label: str) -> None:
        ctx = mp.get_context("spawn")
        self.label = label
        self.pipes: list[Connection] = []
        self.procs: list[mp.process.BaseProcess] = []
        for i in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child,), name=f"{label}-{i}", daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def send(self, commands: list[dict[str, Any]]) -> None:
        for pipe, command in zip(self.pipes, commands, strict=True):
            pipe.send(command)

    def collect(self, timeout: float) -> list[dict[str, Any]]:
        replies = []
        deadline = time.monotonic() + timeout
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            while not pipe.poll(0.5):
                if not proc.is_alive():
                    raise BenchError(f"{proc.name} died (exit code {proc.exitcode})")
                if time.monotonic() > deadline:
                    raise BenchError(f"{proc.name} did not answer within {timeout:.0f} s")
            try:
                reply: dict[str, Any] = pipe.recv()
            except (EOFError, OSError) as exc:
                raise BenchError(f"{proc.name} went away: {exc!r}") from exc
            if "error" in reply:
                raise BenchError(f"{proc.name}: {reply['error']}")
            replies.append(reply)
        return replies

    def call(self, commands: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        self.send(commands)
        return self.collect(timeout)

    def stop(self) -> list[str]:
        """Ask every worker to close its sockets and exit; kill what does not."""
        closes: list[str] = []
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            if proc.is_alive():
                with contextlib.suppress(OSError, EOFError):
                    pipe.send({"cmd": "quit"})
        for pipe, proc in zip(self.pipes, self.procs, strict=True):
            with contextlib.suppress(OSError, EOFError):
                if proc.is_alive() and pipe.poll(60):
                    closes.extend(pipe.recv().get("closes", []))
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            pipe.close()
        return closes


# ================================================================ measurements


def percentile(sorted_values: list[int], q: float) -> float | None:
    if not sorted_values:
        return None
    return float(sorted_values[min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))])


def ms(ns: float | None) -> float | None:
    return None if ns is None else round(ns / 1e6, 2)


def num(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec`` ("-" for none), right-aligned to the spec's width."""
    width = int("".join(ch for ch in spec.split(".")[0] if ch.isdigit()) or 0)
    return f"{value:{spec}}" if value is not None else "-".rjust(width)


class CpuMeter:
    """CPU use of the server and the client processes over a time window."""

    def __init__(self, server_pid: int, client_pids: list[int]) -> None:
        self.server_pid = server_pid
        self.client_pids = client_pids
        self._start: tuple[float, tuple[float, float], list[float], tuple[float, float]] | None
        self._start = None

    def start(self) -> None:
        self._start = (
            time.monotonic(),
            cpu_times(self.server_pid),
            [cpu_seconds(p) for p in self.client_pids],
            machine_busy(),
        )

    def stop(self) -> dict[str, Any]:
        assert self._start is not None
        t0, (user0, sys0), clients0, (busy0, total0) = self._start
        wall = time.monotonic() - t0
        user1, sys1 = cpu_times(self.server_pid)
        clients = [
            round(100 * (cpu_seconds(p) - c0) / wall, 1)
            for p, c0 in zip(self.client_pids, clients0, strict=True)
        ]
        busy1, total1 = machine_busy()
        ncpu = os.cpu_count() or 1
        server = round(100 * (user1 + sys1 - user0 - sys0) / wall, 1)
        machine = round(100 * ncpu * (busy1 - busy0) / max(1.0, total1 - total0), 1)
        return {
            "server_cpu": server,
            "server_sys_cpu": round(100 * (sys1 - sys0) / wall, 1),  # of which in the kernel
            "client_cpu": clients,
            "machine_cpu": machine,
            # Everything else on the machine (other people's jobs would show here).
            "other_cpu": round(max(0.0, machine - server - sum(clients)), 1),
        }


def bottleneck(row: dict[str, Any], offered: float | None) -> str:
    """A reading of the CPU figures (100 % = one core)."""
    server, clients, machine = row["server_cpu"], row["client_cpu"], row["machine_cpu"]
    ncpu = os.cpu_count() or 1
    if offered is not None and row["rate"] >= 0.97 * offered and row["missing"] == 0:
        return "keeps up"
    parts = []
    if server >= 80:
        parts.append("server CPU")
    if clients and max(clients) >= 85:
        parts.append("client CPU")
    if machine >= 85 * ncpu:
        parts.append("all cores busy")
    if row.get("other_cpu", 0) >= 25:
        parts.append(f"other load {row['other_cpu']:.0f}%")
    return " + ".join(parts) or "no CPU saturated (latency-bound)"


def timeline(replies: list[dict[str, Any]], slot_s: float = 0.5) -> list[dict[str, Any]]:
    """p50, p99 and max latency of the messages sent in each ``slot_s`` of the phase."""
    slots: dict[int, list[int]] = {}
    slot_ns = int(slot_s * 1e9)
    for r in replies:
        for sent_at, latency in zip(r["sent_at"], r["latencies"], strict=True):
            slots.setdefault(sent_at // slot_ns, []).append(latency)
    rows = []
    for slot in sorted(slots):
        values = sorted(slots[slot])
        rows.append(
            {
                "t_s": round(slot * slot_s, 2),
                "count": len(values),
                "p50_ms": ms(percentile(values, 0.50)),
                "p99_ms": ms(percentile(values, 0.99)),
                "max_ms": ms(values[-1]),
            }
        )
    return rows


def merge_phase(replies: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    latencies = sorted(x for r in replies for x in r["latencies"])
    lags = sorted(x for r in replies for x in r["lags"])
    errors: Counter[str] = Counter()
    for r in replies:
        errors.update(r["errors"])

    def total(key: str) -> int:
        return sum(int(r[key]) for r in replies)

    return {
        "sent": total("sent"),
        "acked": total("acked"),
        "delivered": total("delivered"),
        "rate": round(total("in_window") / seconds, 1),
        "p50_ms": ms(percentile(latencies, 0.50)),
        "p99_ms": ms(percentile(latencies, 0.99)),
        "max_ms": ms(latencies[-1]) if latencies else None,
        "samples": len(latencies),
        "send_lag_p99_ms": ms(percentile(lags, 0.99)),
        "drain_s": max(r["drain_s"] for r in replies),
        "echoes": total("echoes"),
        "duplicates": total("duplicates"),
        "missing": total("missing"),
        "send_failed": total("send_failed"),
        "seq_gaps": total("seq_gaps"),
        "seq_dups": total("seq_dups"),
        "errors": dict(errors),
        "closes": [c for r in replies for c in r["closes"]],
        "timeline": timeline(replies),
        "notes": [s for r in replies for s in (*r["samples"], *r["missing_samples"])][:10],
    }


def anomalies(row: dict[str, Any], echo_expected: bool) -> str:
    found = []
    for key in ("missing", "duplicates", "seq_gaps", "seq_dups", "send_failed"):
        if row.get(key):
            found.append(f"{key} {row[key]}")
    if row.get("acked", 0) != row.get("sent", 0):
        found.append(f"acked {row['acked']}/{row['sent']}")
    if echo_expected and row.get("echoes", 0) != row.get("acked", 0):
        found.append(f"echoes {row['echoes']}/{row['acked']}")
    if row.get("errors"):
        found.append("errors " + ", ".join(f"{k} {v}" for k, v in row["errors"].items()))
    if row.get("closes"):
        found.append(f"{len(row['closes'])} sockets closed by the server")
    return "; ".join(found) or "ok"


# ================================================================ the driver


@dataclass
class Target:
    """A server under test, and how to make visitor–agent pairs on it."""

    name: str
    server: Server
    contiguous: bool  # Huiliu: sockets see every message of their conversations, own ones too
    # Phase number -> (agent key -> agent token, the pairs' specs)
    new_pairs: Callable[[int], tuple[dict[str, str], list[PairSpec]]]
    reconnect_tokens: list[str]
    # Pair index -> conversation id: the agents claim the new conversations, close the old ones.
    claim: Callable[[dict[int, int]], None] | None = None
    close: Callable[[dict[int, int]], None] | None = None
    conversations: dict[int, int] = field(default_factory=dict)  # the current pairs'


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.only = set(args.only or PHASES)
        self.root = Path(tempfile.mkdtemp(prefix="huiliu-bench-"))
        self.servers: list[Server] = []
        self.workers: list[Workers] = []
        self.results: dict[str, Any] = {
            "config": {
                "pairs": args.pairs,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "window": args.window,
                "rates": args.rates,
                "idle": args.idle,
                "clients": args.clients,
                "reconnect_workers": args.reconnect_workers,
                "reuse_pairs": args.reuse_pairs,
                "text_bytes": TEXT_CHARS,
                "cpus": os.cpu_count(),
                "huiliu_source": source_revision(),
            },
            "relay": [],
            "idle": [],
            "reconnect": [],
            "server_logs": {},
        }

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> None:
        if self.only & {"relay", "reconnect"}:
            self._target_huiliu()
        if self.only & {"bare", "reconnect"}:
            self._target_bare()
        if "idle" in self.only:
            self._idle_huiliu()
            self._idle_bare()

    def cleanup(self) -> None:
        for workers in self.workers:
            with contextlib.suppress(Exception):  # keep stopping the rest whatever happens
                workers.stop()
        for server in self.servers:
            if server.name not in self.results["server_logs"]:
                self._stop_server(server)
            server.stop()
        if self.args.keep:
            log(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def _stop_server(self, server: Server) -> None:
        alive = server.alive()
        server.stop()
        problems = server.log_problems()
        self.results["server_logs"][server.name] = {
            "exited_early": not alive,
            "exit_code": server.process.returncode if server.process else None,
            "problems": len(problems),
            "first": problems[:8],
        }

    def _start_workers(self, count: int, label: str) -> Workers:
        workers = Workers(count, label)
        self.workers.append(workers)
        return workers

    def _stop_workers(self, workers: Workers) -> list[str]:
        closes = workers.stop()
        self.workers.remove(workers)
        return closes

    # -- targets -------------------------------------------------------------------------

    def _target_huiliu(self) -> None:
        args = self.args
        server, demo = start_huiliu("huiliu", self.root, self.servers)
        agent_tokens = asyncio.run(agents_online(server.base_url, demo["agents"]))
        n_agents = len(agent_tokens)
        agents = {str(a): t for a, t in enumerate(agent_tokens)}

        def new_pairs(_phase: int) -> tuple[dict[str, str], list[PairSpec]]:
            tokens = asyncio.run(widget_sessions(server.base_url, demo["widget_key"], args.pairs))
            return agents, [(i, tok, str(i % n_agents)) for i, tok in enumerate(tokens)]

        def claim(conversations: dict[int, int]) -> None:
            claims = [(agent_tokens[i % n_agents], cid) for i, cid in conversations.items()]
            asyncio.run(conversation_action(server.base_url, "claim", claims))

        def close(conversations: dict[int, int]) -> None:
            closes = [(agent_tokens[i % n_agents], cid) for i, cid in conversations.items()]
            asyncio.run(conversation_action(server.base_url, "close", closes))

        reconnect_tokens = []
        if "reconnect" in self.only:
            reconnect_tokens = asyncio.run(
                widget_sessions(server.base_url, demo["widget_key"], args.reconnect_workers)
            )
        target = Target("huiliu", server, True, new_pairs, reconnect_tokens, claim, close)
        self._drive(target, "relay" in self.only)
        self._stop_server(server)

    def _target_bare(self) -> None:
        args = self.args
        server = start_bare("bare", self.root, self.servers)

        def new_pairs(phase: int) -> tuple[dict[str, str], list[PairSpec]]:
            tokens = [f"p{phase}.{i}" for i in range(args.pairs)]
            return {t: t for t in tokens}, [(i, t, t) for i, t in enumerate(tokens)]

        reconnect_tokens = [f"reconnect{i}" for i in range(args.reconnect_workers)]
        target = Target("bare", server, False, new_pairs, reconnect_tokens)
        self._drive(target, "bare" in self.only)
        self._stop_server(server)

    def _drive(self, target: Target, relay: bool) -> None:
        """The relay phases (each on new pairs unless --reuse-pairs), then reconnects."""
        args = self.args
        # Huiliu's pairs are spread over 3 agents, one socket each: a worker holds whole
        # agents (pair i belongs to agent i % 3), the bare relay's pairs are split the same way.
        nworkers = max(1, min(args.clients, 3))
        workers = self._start_workers(nworkers, f"client-{target.name}")
        if relay:
            phases: list[tuple[str, float]] = [("closed", w) for w in args.window]
            phases += [("open", rate) for rate in args.rates]
            for number, (kind, value) in enumerate(phases):
                if number == 0 or not args.reuse_pairs:
                    self._setup_pairs(target, workers, number)
                if kind == "closed":
                    self._relay_phase(target, workers, kind, window=int(value))
                else:
                    self._relay_phase(target, workers, kind, rate=value)
        if "reconnect" in self.only:
            self._reconnect(target, workers)
        closes = self._stop_workers(workers)
        if closes:
            self.results.setdefault("closes", {})[target.name] = closes

    def _setup_pairs(self, target: Target, workers: Workers, phase: int) -> None:
        """New visitors, each opening a conversation with its first message, claimed by its
        agent; the workers close the previous pairs' sockets."""
        nworkers = len(workers.pipes)
        start = time.monotonic()
        if target.close is not None and target.conversations:
            target.close(target.conversations)  # the agents make room for the new ones
        agents, pairs = target.new_pairs(phase)
        commands = []
        for w in range(nworkers):
            mine = [p for p in pairs if (p[0] % 3) % nworkers == w]
            keys = {p[2] for p in mine}
            commands.append(
                {
                    "cmd": "setup",
                    "ws_url": target.server.ws_url,
                    "contiguous": target.contiguous,
                    "agents": {k: t for k, t in agents.items() if k in keys},
                    "pairs": mine,
                }
            )
        replies = workers.call(commands, timeout=300)
        conversations = {int(k): v for r in replies for k, v in r["conversations"].items()}
        if target.claim is not None:
            target.claim(conversations)
        target.conversations = conversations
        log(f"{target.name}: {len(pairs)} new pairs in {time.monotonic() - start:.1f} s")

    def _relay_phase(
        self,
        target: Target,
        workers: Workers,
        kind: str,
        *,
        window: int | None = None,
        rate: float | None = None,
    ) -> None:
        args = self.args
        number = len(self.results["relay"])
        t0 = time.monotonic_ns() + 300_000_000
        t_measure = t0 + int(args.warmup * 1e9)
        t_end = t_measure + int(args.duration * 1e9)
        command: dict[str, Any] = {
            "cmd": "phase",
            "prefix": f"{number}.",
            "t0": t0,
            "t_measure": t_measure,
            "t_end": t_end,
        }
        if kind == "closed":
            command["window"] = window
            label = f"closed loop, window {window}/pair"
        else:
            assert rate is not None
            command["rate_per_side"] = rate / (2 * args.pairs)
            label = f"open loop {rate:g} msg/s"
        log(f"{target.name}: {label} for {args.duration:g} s")
        meter = CpuMeter(target.server.pid, workers.pids)
        workers.send([command] * len(workers.pipes))
        _sleep_until_ns(t_measure)
        meter.start()
        _sleep_until_ns(t_end)
        cpu = meter.stop()
        rss = rss_kb(target.server.pid)
        wal = target.server.wal_mb()
        replies = workers.collect(timeout=args.warmup + args.duration + DRAIN_MAX_S + 120)
        row = {
            "target": target.name,
            "phase": kind,
            "window": window,
            "offered": rate,
            **merge_phase(replies, args.duration),
            **cpu,
            "server_rss_mb": round(rss / 1024, 1),
            "wal_mb": wal,
        }
        row["bottleneck"] = bottleneck(row, rate)
        row["check"] = anomalies(row, echo_expected=target.contiguous)
        self.results["relay"].append(row)
        log(
            f"  {row['rate']:.0f} msg/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
            f"server CPU {row['server_cpu']} %, clients {row['client_cpu']} %; {row['check']}"
        )
        if args.timeline:
            log(
                "  p99 ms per 0.5 s sent: "
                + " ".join(f"{slot['p99_ms']:.0f}" for slot in row["timeline"])
            )

    def _reconnect(self, target: Target, workers: Workers) -> None:
        args = self.args
        n = len(workers.pipes)
        t0 = time.monotonic_ns() + 300_000_000
        t_end = t0 + int(args.duration * 1e9)
        path = "/ws/visitor"
        commands = [
            {
                "cmd": "reconnect",
                "ws_url": target.server.ws_url,
                "path": path,
                "tokens": target.reconnect_tokens[w::n],
                "t0": t0,
                "t_end": t_end,
            }
            for w in range(n)
        ]
        log(f"{target.name}: reconnect loop, {len(target.reconnect_tokens)} workers")
        rss0, sockets0 = rss_kb(target.server.pid), target.server.health().get("sockets")
        meter = CpuMeter(target.server.pid, workers.pids)
        workers.send(commands)
        _sleep_until_ns(t0)
        meter.start()
        _sleep_until_ns(t_end)
        cpu = meter.stop()
        replies = workers.collect(timeout=args.duration + 120)
        time.sleep(1)
        rss1, sockets1 = rss_kb(target.server.pid), target.server.health().get("sockets")
        latencies = sorted(x for r in replies for x in r["latencies"])
        errors: Counter[str] = Counter()
        for r in replies:
            errors.update(r["errors"])
        row = {
            "target": target.name,
            "workers": len(target.reconnect_tokens),
            "reconnects_per_s": round(len(latencies) / args.duration, 1),
            "p50_ms": ms(percentile(latencies, 0.5)),
            "p99_ms": ms(percentile(latencies, 0.99)),
            "errors": dict(errors),
            **cpu,
            "server_rss_mb": [round(rss0 / 1024, 1), round(rss1 / 1024, 1)],
            "server_sockets": [sockets0, sockets1],
        }
        self.results["reconnect"].append(row)
        log(f"  {row['reconnects_per_s']} reconnects/s; errors {dict(errors) or 0}")

    # -- idle memory ---------------------------------------------------------------------

    def _idle_huiliu(self) -> None:
        server, demo = start_huiliu("huiliu-idle", self.root, self.servers)
        log(f"huiliu-idle: creating {self.args.idle} widget sessions")
        start = time.monotonic()
        tokens = asyncio.run(widget_sessions(server.base_url, demo["widget_key"], self.args.idle))
        log(f"  {len(tokens)} sessions in {time.monotonic() - start:.1f} s")
        self._idle(server, tokens)
        self._stop_server(server)

    def _idle_bare(self) -> None:
        server = start_bare("bare-idle", self.root, self.servers)
        self._idle(server, [f"idle{i}" for i in range(self.args.idle)])
        self._stop_server(server)

    def _idle(self, server: Server, tokens: list[str]) -> None:
        """Open the sockets, read the server's RSS, close them; twice, to tell growth that
        stays (allocator high-water mark) from growth that keeps coming back (a leak)."""
        soft = raise_nofile()
        per_proc = max(100, min(self.args.idle_per_proc, soft - 200))
        nprocs = max(1, math.ceil(len(tokens) / per_proc))
        workers = self._start_workers(nprocs, f"idle-{server.name}")
        time.sleep(2)
        before = rss_kb(server.pid)
        counts = [int(server.health().get("sockets", 0))]
        rounds = []
        for round_no in (1, 2):
            log(
                f"{server.name}: opening {len(tokens)} idle sockets from {nprocs} processes"
                f" (round {round_no})"
            )
            replies = workers.call(
                [
                    {
                        "cmd": "idle_open",
                        "ws_url": server.ws_url,
                        "path": "/ws/visitor",
                        "tokens": tokens[w::nprocs],
                        "concurrency": 100,
                    }
                    for w in range(nprocs)
                ],
                timeout=900,
            )
            errors: Counter[str] = Counter()
            for r in replies:
                errors.update(r["errors"])
            time.sleep(3)  # past Huiliu's 1 s first-frame grace; let the allocator settle
            open_rss = rss_kb(server.pid)
            counts.append(int(server.health().get("sockets", 0)))
            closing = workers.call([{"cmd": "idle_close"}] * nprocs, timeout=600)
            time.sleep(3)
            closed_rss = rss_kb(server.pid)
            counts.append(int(server.health().get("sockets", 0)))
            seconds = max(r["seconds"] for r in replies)
            rounds.append(
                {
                    "opened": sum(r["opened"] for r in replies),
                    "seconds": seconds,
                    "errors": dict(errors),
                    "open_rss": open_rss,
                    "closed_rss": closed_rss,
                    "closes": [c for r in closing for c in r["closes"]],
                }
            )
        self._stop_workers(workers)
        first, second = rounds
        opened = first["opened"]
        row = {
            "target": server.name,
            "sockets": opened,
            "open_errors": first["errors"] or second["errors"],
            "open_s": round(first["seconds"], 1),
            "opened_per_s": round(opened / first["seconds"], 1) if first["seconds"] else None,
            "rss_before_mb": round(before / 1024, 1),
            "rss_after_mb": round(first["open_rss"] / 1024, 1),
            "kb_per_socket": round((first["open_rss"] - before) / opened, 1) if opened else None,
            "rss_after_close_mb": round(first["closed_rss"] / 1024, 1),
            "rss_round2_open_mb": round(second["open_rss"] / 1024, 1),
            "rss_round2_closed_mb": round(second["closed_rss"] / 1024, 1),
            "server_sockets": counts,
            "closed_by_server": (first["closes"] + second["closes"])[:10],
        }
        self.results["idle"].append(row)
        log(
            f"  {opened} sockets in {first['seconds']:.1f} s; RSS {row['rss_before_mb']} -> "
            f"{row['rss_after_mb']} MB = {row['kb_per_socket']} KB/socket; round 2 "
            f"{row['rss_round2_open_mb']} MB; server counts {counts}"
        )

    # -- report --------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        res = self.results
        ratios: dict[str, float] = {}
        by_key = {(r["target"], r["window"], r["offered"]): r for r in res["relay"]}
        for (target, window, offered), row in by_key.items():
            bare = by_key.get(("bare", window, offered))
            if target == "huiliu" and bare and bare["rate"]:
                name = f"closed W={window}" if window else f"open {offered:g}/s"
                ratios[name] = round(row["rate"] / bare["rate"], 3)
        res["ratio_huiliu_over_bare"] = ratios
        res["command"] = shlex.join(sys.orig_argv)
        return res

    def table(self) -> str:
        res = self.summary()
        cfg = res["config"]
        out = [
            "",
            f"Huiliu relay benchmark: {cfg['pairs']} pairs "
            f"({'the same pairs in every phase' if cfg['reuse_pairs'] else 'new ones per phase'}"
            f"), {cfg['text_bytes']} B texts, "
            f"{cfg['duration_s']:g} s per phase (+{cfg['warmup_s']:g} s warm-up), "
            f"{cfg['clients']} client process(es) max, {cfg['cpus']} CPUs",
            "CPU over the measured window, 100 % = one core: server = the server process (all "
            "threads), clients = each load generator, other = the rest of the machine, machine "
            "= all cores.",
            f"Huiliu source: {cfg['huiliu_source']}",
            "",
        ]
        if res["relay"]:
            head = (
                f"{'target':<7} {'phase':<16} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'max ms':>8} {'server':>7} {'clients':>8} {'other':>6} {'machine':>7}  "
                "bottleneck"
            )
            out += ["Relay (msg/s = message.new delivered to the other side)", head]
            out.append("-" * len(head))
            for r in res["relay"]:
                phase = (
                    f"closed W={r['window']}"
                    if r["phase"] == "closed"
                    else f"open {r['offered']:g}/s"
                )
                clients = "+".join(f"{c:.0f}" for c in r["client_cpu"])
                out.append(
                    f"{r['target']:<7} {phase:<16} {r['rate']:>7.0f} {num(r['p50_ms'], '>8.1f')} "
                    f"{num(r['p99_ms'], '>8.1f')} {num(r['max_ms'], '>8.1f')} "
                    f"{r['server_cpu']:>6.0f}% {clients:>7}% {r['other_cpu']:>5.0f}% "
                    f"{r['machine_cpu']:>6.0f}%  {r['bottleneck']}"
                )
            out.append("")
            out.append("Checks per phase (sent, acked, delivered, duplicates, seq gaps, errors)")
            for r in res["relay"]:
                phase = f"closed W={r['window']}" if r["window"] else f"open {r['offered']:g}/s"
                lag = r["send_lag_p99_ms"]
                lag_text = f", client send lag p99 {lag} ms" if lag is not None else ""
                if r["wal_mb"] is not None:
                    lag_text = f", WAL {r['wal_mb']} MB{lag_text}"
                out.append(
                    f"  {r['target']:<7} {phase:<11} sent {r['sent']}, delivered "
                    f"{r['delivered']}, drained in {r['drain_s']} s after the phase, server RSS "
                    f"{r['server_rss_mb']} MB{lag_text}: {r['check']}"
                )
                out.extend(f"      {note}" for note in r["notes"][:5])
                out.extend(f"      closed: {c}" for c in r["closes"][:5])
            if res["ratio_huiliu_over_bare"]:
                out.append("")
                out.append(
                    "Throughput Huiliu / bare relay: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in res["ratio_huiliu_over_bare"].items())
                )
            out.append("")
        if res["idle"]:
            out.append("Idle sockets (server RSS from /proc/PID/status VmRSS)")
            for r in res["idle"]:
                out.append(
                    f"  {r['target']:<12} {r['sockets']} sockets opened in {r['open_s']} s "
                    f"({r['opened_per_s']}/s): RSS {r['rss_before_mb']} -> {r['rss_after_mb']} MB"
                    f" = {r['kb_per_socket']} KB per socket; closed {r['rss_after_close_mb']} MB;"
                    f" again open {r['rss_round2_open_mb']} MB, closed "
                    f"{r['rss_round2_closed_mb']} MB; server socket counts {r['server_sockets']}"
                    + (f"; open errors {r['open_errors']}" if r["open_errors"] else "")
                    + (
                        f"; closed by server {r['closed_by_server']}"
                        if r["closed_by_server"]
                        else ""
                    )
                )
            out.append("")
        if res["reconnect"]:
            out.append("Reconnects (connect -> hello -> close, visitor sockets)")
            for r in res["reconnect"]:
                out.append(
                    f"  {r['target']:<7} {r['workers']} workers: {r['reconnects_per_s']} /s, "
                    f"cycle p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, server CPU "
                    f"{r['server_cpu']} %, clients {r['client_cpu']} %, other {r['other_cpu']} "
                    f"%; server RSS before/after {r['server_rss_mb']} MB, sockets before/after "
                    f"{r['server_sockets']}" + (f"; errors {r['errors']}" if r["errors"] else "")
                )
            out.append("")
        for name, info in res["server_logs"].items():
            state = "exited early!" if info["exited_early"] else "ran to the end"
            out.append(f"Server log {name}: {state}; {info['problems']} error/warning lines")
            out.extend(f"    {line[:200]}" for line in info["first"][:5])
        for name, closes in res.get("closes", {}).items():
            out.append(f"Sockets {name} closed unexpectedly: {len(closes)}: {closes[:3]}")
        if "error" in res:
            out.append(f"STOPPED EARLY: {res['error'][:2000]}")
        out.append("")
        out.append(f"command: {res['command']}")
        return "\n".join(out)


def _sleep_until_ns(t_ns: int) -> None:
    delay = t_ns - time.monotonic_ns()
    if delay > 0:
        time.sleep(delay / 1e9)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Huiliu relay benchmark (see the module docstring).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--pairs", type=int, default=50, help="visitor-agent pairs")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds per phase")
    parser.add_argument(
        "--rates",
        type=_rates,
        nargs="+",
        default="1000,2500,5000",
        help="open-loop rates in msg/s, in total (space- or comma-separated)",
    )
    parser.add_argument(
        "--window",
        type=int,
        nargs="+",
        default=[1, 8],
        help="closed loop: messages in flight per pair (1 = ping-pong); one phase per value",
    )
    parser.add_argument("--idle", type=int, default=10_000, help="idle sockets")
    parser.add_argument(
        "--idle-per-proc", type=int, default=5000, help="idle sockets per client process"
    )
    parser.add_argument(
        "--reconnect-workers", type=int, default=32, help="concurrent reconnect loops"
    )
    parser.add_argument("--clients", type=int, default=1, help="load-generator processes (1-3)")
    parser.add_argument("--only", nargs="+", choices=PHASES, help="run only these parts")
    parser.add_argument(
        "--reuse-pairs",
        action="store_true",
        help="run every relay phase on the same pairs (their conversations grow from phase to"
        " phase) instead of new pairs per phase",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="also log each relay phase's p99 latency per half second (when the stalls happen)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and logs")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Huiliu setting for the server, e.g. --set SQLITE_SYNCHRONOUS=NORMAL",
    )
    args = parser.parse_args(argv)
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--set wants NAME=VALUE, not {item!r}")
        EXTRA_ENV["HUILIU_" + name.upper().removeprefix("HUILIU_")] = value
    # A list of lists from the command line; one list when argparse parsed the default.
    args.rates = [r for g in args.rates for r in (g if isinstance(g, list) else [g])]
    if args.pairs < 1 or args.duration <= 0 or min(args.window) < 1 or args.clients < 1:
        parser.error("--pairs, --duration, --window and --clients must be positive")
    return args


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of rates: {text!r}") from None
    if any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError("rates must be positive")
    return rates


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _on_sigterm)
    raise_nofile()
    bench = Bench(args)
    status = 0
    try:
        bench.run()
    except BenchError as exc:
        log(f"benchmark stopped: {exc}")
        bench.results["error"] = str(exc)
        status = 1
    finally:
        bench.cleanup()
    table = bench.table()
    if args.json:
        print(table, file=sys.stderr)
        print(json.dumps(bench.summary(), ensure_ascii=False, default=str))
    else:
        print(table)
    return status


if __name__ == "__main__":
    sys.exit(main())
