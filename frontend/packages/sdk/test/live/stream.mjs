// Live test of @huiliu/sdk against a real `huiliu serve` (driven by tests/test_sdk_ts.py).
//
//   node packages/sdk/test/live/stream.mjs '<json config>'      (from frontend/, after
//   npx vite build --config packages/sdk/vite.config.ts)
//
// config: {"ws_url": "ws://127.0.0.1:8000", "visitor_token": "…", "agent_token": "…",
//          "count": 200, "interval_ms": 15, "timeout_s": 90}
//
// A supervisor's client reads; a visitor's client streams `count` messages, one every
// interval_ms, without waiting for acks. Mid-stream the driver freezes the server (SIGSTOP,
// so the messages sent meanwhile are in flight), kills it (SIGKILL) and starts it again on
// the same port and database. One JSON object per line on stdout:
// {"event": "ready"}, {"event": "acked", "n": …} after each ack, {"event": "state", …} on
// each state change, and last {"event": "summary", …}.
import WebSocket from "ws";

const bundle = new URL("../../dist/huiliu-sdk.js", import.meta.url);
const { HuiliuClient } = await import(bundle.href).catch((err) => {
  console.error(`cannot load ${bundle.pathname}: build it first (npx vite build --config packages/sdk/vite.config.ts)`);
  throw err;
});

const config = JSON.parse(process.argv[2] ?? "{}");
const count = config.count ?? 200;
const intervalMs = config.interval_ms ?? 15;
const started = Date.now();
const out = (event) => process.stdout.write(JSON.stringify({ t_ms: Date.now() - started, ...event }) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client plus what it delivered, and when it was away. */
function watch(name, options) {
  const client = new HuiliuClient({ WebSocket, backoff: { min: 100, max: 1000 }, ...options });
  const seen = { name, client, messages: [], errors: [], outages: [], lostAt: null, states: [] };
  client.on("message", (m) => seen.messages.push(m));
  client.on("error", (e) => seen.errors.push({ code: e.code, detail: e.detail, closeCode: e.closeCode }));
  client.on("state", (s) => {
    seen.states.push(s.state);
    if (s.state === "reconnecting" && seen.lostAt === null) seen.lostAt = Date.now();
    out({ event: "state", client: name, state: s.state, code: s.code ?? null, delay_ms: s.delayMs ?? null });
  });
  client.on("resumed", () => {
    if (seen.lostAt !== null) {
      seen.outages.push(Date.now() - seen.lostAt);
      seen.lostAt = null;
    }
  });
  return seen;
}

function until(predicate, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      if (predicate()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

function report(seen, cid) {
  const mine = seen.messages.filter((m) => m.conversation_id === cid);
  const ids = mine.map((m) => m.id);
  return {
    delivered: mine.length,
    seqs: mine.map((m) => m.seq),
    ids,
    duplicates: ids.length - new Set(ids).size,
    errors: seen.errors,
    outages_ms: seen.outages,
    stats: seen.client.stats(),
    states: seen.states,
  };
}

let tokenCalls = 0;
const agent = watch("agent", { url: `${config.ws_url}/ws/agent`, token: config.agent_token });
const visitor = watch("visitor", {
  url: `${config.ws_url}/ws/visitor`,
  token: async () => {
    tokenCalls += 1;
    return config.visitor_token;
  },
});
const acks = [];
const rejected = [];
let cid = null;
let exitCode = 0;
try {
  agent.client.connect();
  await until(() => agent.client.ready, 10_000, "the agent's resume");
  visitor.client.connect();
  await until(() => visitor.client.ready, 10_000, "the visitor's resume");
  out({ event: "ready" });

  const onAck = (ack) => {
    acks.push(ack);
    out({ event: "acked", n: acks.length });
  };
  const onReject = (err) => rejected.push({ code: err.code, detail: err.detail });
  // The first message opens the conversation; the rest name it.
  await visitor.client.send({ type: "text", text: "消息 0" }).then(onAck, onReject);
  cid = acks[0]?.conversation_id ?? null;
  if (cid === null) throw new Error(`the first message was refused: ${JSON.stringify(rejected)}`);
  const sends = [];
  for (let n = 1; n < count; n++) {
    sends.push(visitor.client.send({ type: "text", text: `消息 ${n}` }, { conversationId: cid }).then(onAck, onReject));
    await sleep(intervalMs);
  }
  let timer;
  await Promise.race([
    Promise.all(sends),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${acks.length} of ${count} acked in time`)),
        (config.timeout_s ?? 90) * 1000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  // Both clients have every message up to the newest acked one, then a moment for strays.
  const last = Math.max(...acks.map((a) => a.seq));
  const upTo = (seen) => () => Number(seen.client.cursors()[cid] ?? 0) >= last;
  await until(upTo(visitor), 30_000, "the visitor to catch up");
  await until(upTo(agent), 30_000, "the agent to catch up");
  await sleep(500);
} catch (err) {
  exitCode = 1;
  out({ event: "failure", error: String(err) });
} finally {
  out({
    event: "summary",
    conversation_id: cid,
    sent: count,
    acked: acks.length,
    rejected,
    acked_message_ids: acks.map((a) => a.message_id),
    acked_client_msg_ids: acks.map((a) => a.client_msg_id),
    distinct_acked_message_ids: new Set(acks.map((a) => a.message_id)).size,
    token_calls: tokenCalls,
    pending_left: visitor.client.pending().length,
    visitor: report(visitor, cid),
    agent: report(agent, cid),
    elapsed_ms: Date.now() - started,
  });
  visitor.client.close();
  agent.client.close();
  process.exitCode = exitCode;
}
