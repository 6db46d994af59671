// @vitest-environment node
// The client on the `ws` package (what Node apps and the live test use), against real
// sockets: things an in-memory fake cannot show.
import net from "node:net";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { HuiliuClient, type StateChange } from "../src/index";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function until(predicate: () => boolean, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const poll = () => (predicate() ? resolve() : Date.now() > deadline ? reject(new Error("timeout")) : setTimeout(poll, 5));
    poll();
  });
}

describe("with ws", () => {
  it("speaks the protocol with a real ws server", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    cleanups.push(() => wss.close());
    await new Promise((r) => wss.once("listening", r));
    const urls: string[] = [];
    wss.on("connection", (sock, req) => {
      urls.push(req.url ?? "");
      sock.send(JSON.stringify({ type: "hello", protocol: 1, heartbeat_s: 25, principal: { kind: "visitor", id: 1, tenant_id: 1 } }));
      sock.on("message", (raw) => {
        const frame = JSON.parse(String(raw));
        if (frame.type === "resume") sock.send(JSON.stringify({ type: "resumed", cursors: frame.cursors }));
        if (frame.type === "message.send") {
          const message = { id: 5, conversation_id: 9, seq: 2, sender: { type: "contact", id: 1 }, client_msg_id: frame.client_msg_id, content: frame.content, created_at: "2026-01-01T00:00:00Z" };
          sock.send(Buffer.from(JSON.stringify({ type: "message.new", message }))); // a binary frame
          sock.send(JSON.stringify({ type: "ack", client_msg_id: frame.client_msg_id, message_id: 5, conversation_id: 9, seq: 2 }));
        }
      });
    });
    const { port } = wss.address() as AddressInfo;
    const client = new HuiliuClient({ url: `ws://127.0.0.1:${port}/ws/visitor`, token: "a b&c", WebSocket, cursors: { 9: 1 } });
    cleanups.push(() => client.close());
    const seqs: number[] = [];
    client.on("message", (m) => seqs.push(m.seq));
    client.connect();
    const ack = await client.send({ type: "text", text: "你好" });
    expect(ack).toMatchObject({ conversation_id: 9, seq: 2 });
    await until(() => seqs.length === 1);
    expect(seqs).toEqual([2]);
    expect(urls).toEqual(["/ws/visitor?token=a%20b%26c"]);
  });

  it("survives closing a socket whose handshake hangs (no hello in time)", async () => {
    const server = net.createServer(() => {}); // accepts TCP, never answers the upgrade
    cleanups.push(() => server.close());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const client = new HuiliuClient({
      url: `ws://127.0.0.1:${port}/ws/visitor`,
      token: "t",
      WebSocket,
      connectTimeoutMs: 100,
      backoff: { min: 20, max: 40 },
    });
    cleanups.push(() => client.close());
    const states: StateChange[] = [];
    client.on("state", (s) => states.push(s));
    client.connect();
    await until(() => states.filter((s) => s.state === "reconnecting").length >= 2);
    expect(states.find((s) => s.state === "reconnecting")).toMatchObject({ code: 4000 });
  });
});
