// The channel accounts' settings form, built from the type's JSON Schema: every field kind,
// secrets (password inputs, "set", left out when empty on edit), the form's own checks and
// the server's error next to the field it names; creating shows the generated secret once.
import { flushPromises } from "@vue/test-utils";
import { createPinia, setActivePinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nextTick } from "vue";

import { useSession } from "@/stores/session";
import { me } from "@/test/session";

import ChannelAccounts from "./ChannelAccounts.vue";
import { buildConfig, errorPath, initialValues, schemaFields, type FormValues, type Messages } from "./channel-schema";
import { mountAdmin } from "./test-helpers";

// As Pydantic writes it: $defs and $ref, anyOf with null for optional fields, enums, bounds.
const SCHEMA = {
  $defs: {
    Mode: { enum: ["safe", "plain"], title: "Mode", type: "string" },
    Smtp: {
      properties: {
        host: { title: "Host", type: "string", description: "the mail server" },
        port: { default: 587, maximum: 65535, minimum: 1, title: "Port", type: "integer" },
        tls: { default: true, title: "Tls", type: "boolean" },
      },
      required: ["host"],
      title: "Smtp",
      type: "object",
    },
  },
  additionalProperties: false,
  properties: {
    app_id: { title: "App Id", type: "string", minLength: 3, description: "from the channel's console" },
    app_secret: { title: "App Secret", type: "string" },
    mode: { $ref: "#/$defs/Mode", default: "safe" },
    timeout_s: { default: 10, exclusiveMinimum: 0, maximum: 60, title: "Timeout S", type: "number" },
    greeting: { anyOf: [{ type: "string", maxLength: 50 }, { type: "null" }], default: null, title: "Greeting" },
    keywords: { items: { type: "string" }, title: "Keywords", type: "array" },
    smtp: { $ref: "#/$defs/Smtp" },
  },
  required: ["app_id", "app_secret", "smtp"],
  title: "DemoConfig",
  type: "object",
};

const TYPE = { channel: "demo", label: "Demo", secret_fields: ["app_secret"], reply_window_s: 172800, config_schema: SCHEMA };

const M: Messages = {
  required: "required",
  number: "number",
  integer: "integer",
  min: (n) => `min ${n}`,
  max: (n) => `max ${n}`,
  above: (n) => `above ${n}`,
  below: (n) => `below ${n}`,
  minLength: (n) => `minLength ${n}`,
  maxLength: (n) => `maxLength ${n}`,
  json: "json",
};

describe("schemaFields", () => {
  it("reads every kind, resolving $ref and optional fields", () => {
    const fields = schemaFields(SCHEMA, ["app_secret"]);
    const by = Object.fromEntries(fields.map((f) => [f.key, f]));
    expect(by.app_id).toMatchObject({ kind: "string", required: true, secret: false, description: "from the channel's console", minLength: 3 });
    expect(by.app_secret).toMatchObject({ kind: "string", secret: true });
    expect(by.mode).toMatchObject({ kind: "enum", options: ["safe", "plain"], defaultValue: "safe" });
    expect(by.timeout_s).toMatchObject({ kind: "number", minimum: 0, exclusiveMinimum: true, maximum: 60, exclusiveMaximum: false });
    expect(by.greeting).toMatchObject({ kind: "string", nullable: true, required: false, maxLength: 50 });
    expect(by.keywords!.kind).toBe("list");
    expect(by.smtp!.kind).toBe("object");
    expect(by.smtp!.children.map((c) => [c.path, c.kind])).toEqual([["smtp.host", "string"], ["smtp.port", "integer"], ["smtp.tls", "boolean"]]);
  });
});

describe("buildConfig", () => {
  const fields = schemaFields(SCHEMA, ["app_secret"]);

  it("creates from the defaults; an empty secret is left for the server to make", () => {
    const values = initialValues(fields);
    expect(values).toMatchObject({ mode: "safe", timeout_s: "10", smtp: { port: "587", tls: true } });
    values.app_id = "wx123";
    (values.smtp as FormValues).host = "smtp.example.com";
    values.keywords = ["退款", " ", "发票"];
    const { config, errors } = buildConfig(fields, values, false, M);
    expect(errors).toEqual({});
    expect(config).toEqual({ app_id: "wx123", mode: "safe", timeout_s: 10, keywords: ["退款", "发票"], smtp: { host: "smtp.example.com", port: 587, tls: true } });
  });

  it("on edit, a secret left empty keeps its value and a typed one is sent; a cleared optional is null", () => {
    const values = initialValues(fields, { app_id: "wx123", greeting: "hi", smtp: { host: "h", port: 25, tls: false } }, true);
    expect(values.app_secret).toBe("");
    expect(values.greeting).toBe("hi");
    values.greeting = "";
    let out = buildConfig(fields, values, true, M);
    expect(out.config).not.toHaveProperty("app_secret");
    expect(out.config.greeting).toBeNull();
    expect(out.config.smtp).toEqual({ host: "h", port: 25, tls: false });
    values.app_secret = "new-secret";
    out = buildConfig(fields, values, true, M);
    expect(out.config.app_secret).toBe("new-secret");
  });

  it("says what is wrong before asking the server", () => {
    const values = initialValues(fields);
    values.app_id = "wx";
    values.timeout_s = "abc";
    values.mode = null;
    (values.smtp as FormValues).port = "70000";
    const { errors } = buildConfig(fields, values, false, M);
    expect(errors).toEqual({ app_id: "minLength 3", timeout_s: "number", "smtp.host": "required", "smtp.port": "max 65535" });
    values.timeout_s = "0";
    expect(buildConfig(fields, values, false, M).errors.timeout_s).toBe("above 0");
  });

  it("places a server error on the field it names", () => {
    expect(errorPath("config.smtp.port", fields)).toBe("smtp.port");
    expect(errorPath("config.app_id", fields)).toBe("app_id");
    expect(errorPath("config.smtp.port.0", fields)).toBe("smtp.port");
    expect(errorPath("name", fields)).toBe("name");
    expect(errorPath("config.unknown", fields)).toBeNull();
    expect(errorPath(undefined, fields)).toBeNull();
  });
});

// -- the component against a fake server ---------------------------------------------------

const NOW = "2026-12-01T10:00:00Z";
const ACCOUNT = { id: 5, type: "demo", name: "Demo 1", active: true, config: { app_id: "wx123", mode: "plain", timeout_s: 5, greeting: null, keywords: [], smtp: { host: "h", port: 25, tls: true } }, secrets_set: ["app_secret"], inbound_url: "http://localhost/channels/demo/tok5", created_at: NOW, updated_at: NOW };

type Handler = (body: unknown) => { status: number; body: unknown };
let routes: Record<string, Handler>;
let sent: { key: string; body: unknown }[];

beforeEach(() => {
  setActivePinia(createPinia());
  useSession().account = me("admin", { email: "a@x", name: "A" });
  sent = [];
  routes = {
    "GET /channels/types": () => ({ status: 200, body: [TYPE] }),
    "GET /tenant/channels": () => ({ status: 200, body: [ACCOUNT] }),
  };
  vi.stubGlobal("fetch", vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, "http://localhost");
    const key = `${init?.method ?? "GET"} ${url.pathname.replace("/api/v1", "")}`;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    sent.push({ key, body });
    const handler = routes[key];
    const answer = handler ? handler(body) : { status: 404, body: { code: "not_found", detail: key } };
    return new Response(answer.status === 204 ? null : JSON.stringify(answer.body), { status: answer.status, headers: { "Content-Type": "application/json" } });
  }));
});
afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

async function mounted() {
  const w = mountAdmin(ChannelAccounts);
  await flushPromises();
  return w;
}

const dialog = () => document.querySelector("[data-test=channel-dialog]") as HTMLElement;
const q = (sel: string) => dialog().querySelector(sel) as HTMLInputElement;
async function type(sel: string, value: string) {
  const input = q(sel);
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await nextTick();
}

describe("ChannelAccounts", () => {
  it("builds the form from the schema: each kind its input, secrets as passwords, descriptions as help", async () => {
    const w = await mounted();
    await w.find("[data-test=channel-add-demo]").trigger("click");
    await flushPromises();
    expect(q("[data-test=setting-app_secret]").getAttribute("type")).toBe("password");
    expect(q("[data-test=setting-app_id]").getAttribute("type")).toBe("text");
    expect(dialog().querySelector("[data-test=setting-smtp\\.tls]")!.classList.contains("el-switch")).toBe(true);
    expect(dialog().querySelector("[data-test=setting-mode]")).not.toBeNull();
    expect(dialog().querySelector("fieldset[data-test=setting-smtp]")!.textContent).toContain("Host");
    expect(dialog().textContent).toContain("from the channel's console");
    expect(dialog().textContent).toContain("the mail server");
    expect(q("[data-test=setting-app_secret]").getAttribute("placeholder")).toContain("Never shown again after saving");
    w.unmount();
  });

  it("shows the server's error next to the field it names, and the secret once after creating", async () => {
    let calls = 0;
    routes["POST /tenant/channels"] = () => {
      calls += 1;
      if (calls === 1) return { status: 422, body: { code: "invalid", detail: "config.smtp.port: Input should be less than 1000", field: "config.smtp.port" } };
      return { status: 201, body: { ...ACCOUNT, id: 6, name: "Demo", generated: { app_secret: "gen-secret-123" } } };
    };
    const w = await mounted();
    await w.find("[data-test=channel-add-demo]").trigger("click");
    await flushPromises();
    await type("[data-test=setting-app_id]", "wx999");
    await type("[data-test=setting-smtp\\.host]", "smtp.example.com");
    (dialog().querySelector("[data-test=channel-save]") as HTMLElement).click();
    await flushPromises();
    const item = dialog().querySelector('[data-field="smtp.port"]')!;
    expect(item.querySelector("[data-test=field-error]")!.textContent).toBe("config.smtp.port: Input should be less than 1000");
    expect(item.classList).toContain("is-error");
    expect(sent.at(-1)!.body).toMatchObject({ type: "demo", config: { app_id: "wx999", smtp: { host: "smtp.example.com", port: 587 } } });
    expect((sent.at(-1)!.body as { config: object }).config).not.toHaveProperty("app_secret");

    (dialog().querySelector("[data-test=channel-save]") as HTMLElement).click();
    await flushPromises();
    const created = w.find("[data-test=channel-created]");
    expect(created.text()).toContain("shown this once");
    expect((created.find("[data-test=created-secret-app_secret] input").element as HTMLInputElement).value).toBe("gen-secret-123");
    expect((created.find("[data-test=created-inbound-url] input").element as HTMLInputElement).value).toBe("http://localhost/channels/demo/tok5");
    w.unmount();
  });

  it("on edit says the secret is set and leaves it out when left empty", async () => {
    routes["PATCH /tenant/channels/5"] = (body) => ({ status: 200, body: { ...ACCOUNT, ...(body as object) } });
    const w = await mounted();
    await w.find("[data-test=channel-edit]").trigger("click");
    await flushPromises();
    expect(dialog().querySelector("[data-test=secret-set]")!.textContent).toBe("set");
    expect(q("[data-test=setting-app_secret]").value).toBe("");
    expect(q("[data-test=setting-app_secret]").getAttribute("placeholder")).toBe("Set: leave empty to keep it");
    await type("[data-test=setting-timeout_s]", "0");
    (dialog().querySelector("[data-test=channel-save]") as HTMLElement).click();
    await flushPromises();
    expect(dialog().querySelector('[data-field="timeout_s"] [data-test=field-error]')!.textContent).toBe("More than 0");
    expect(sent.some((s) => s.key.startsWith("PATCH"))).toBe(false);
    await type("[data-test=setting-timeout_s]", "5");
    (dialog().querySelector("[data-test=channel-save]") as HTMLElement).click();
    await flushPromises();
    const patch = sent.find((s) => s.key === "PATCH /tenant/channels/5")!;
    expect((patch.body as { config: object }).config).not.toHaveProperty("app_secret");
    expect(patch.body).toMatchObject({ name: "Demo 1", config: { app_id: "wx123", mode: "plain", timeout_s: 5 } });
    w.unmount();
  });

  it("shows the server's refusal to delete an account in use", async () => {
    routes["DELETE /tenant/channels/5"] = () => ({ status: 409, body: { code: "conflict", detail: "conversations came in through this account; switch it off instead" } });
    const w = await mounted();
    await w.find("[data-test=channel-delete]").trigger("click");
    await flushPromises();
    (document.querySelector(".el-message-box__btns .el-button--primary") as HTMLElement).click();
    await flushPromises();
    await vi.waitFor(() => expect(w.find("[data-test=channel-accounts-error]").exists()).toBe(true));
    expect(w.find("[data-test=channel-accounts-error]").text()).toContain("switch it off instead");
    expect(w.findAll("[data-test=channel-account-name]")).toHaveLength(1);
    w.unmount();
  });

  it("lists the event log with coloured statuses and the error", async () => {
    routes["GET /tenant/channels/5/events"] = () => ({
      status: 200,
      body: [
        { id: 2, direction: "outbound", external_id: "930", status: "failed", error: "HTTP 400: unknown user", message_id: 930, conversation_id: 42, channel_message_id: null, created_at: NOW, updated_at: NOW },
        { id: 1, direction: "inbound", external_id: "msg-1", status: "stored", error: null, message_id: 929, conversation_id: 42, channel_message_id: null, created_at: NOW, updated_at: NOW },
      ],
    });
    const w = await mounted();
    await w.find("[data-test=channel-events]").trigger("click");
    await flushPromises();
    const statuses = w.findAll("[data-test=channel-event-status]");
    expect(statuses.map((s) => s.attributes("data-status"))).toEqual(["failed", "stored"]);
    expect(statuses[0]!.html()).toContain("el-tag--danger");
    expect(statuses[1]!.html()).toContain("el-tag--success");
    expect(w.find("[data-test=channel-event-error]").text()).toBe("HTTP 400: unknown user");
    w.unmount();
  });
});

describe("ChannelAccounts event log", () => {
  it("shows the raw push on expanding: JSON indented, anything else as text", async () => {
    routes["GET /tenant/channels/5/events"] = () => ({
      status: 200,
      body: [
        { id: 2, direction: "inbound", external_id: "m2", status: "rejected", error: "bad", message_id: null, conversation_id: null, channel_message_id: null, created_at: NOW, updated_at: NOW, raw: "<xml><Content><![CDATA[<img src=x onerror=alert(1)>]]></Content></xml>" },
        { id: 1, direction: "inbound", external_id: "m1", status: "stored", error: null, message_id: 9, conversation_id: 4, channel_message_id: null, created_at: NOW, updated_at: NOW, raw: '{"id":"m1","user":{"id":"u"}}' },
      ],
    });
    const w = await mounted();
    await w.find("[data-test=channel-events]").trigger("click");
    await flushPromises();
    for (const icon of w.findAll(".el-table__expand-icon")) await icon.trigger("click");
    await flushPromises();
    const raws = w.findAll("[data-test=channel-event-raw]").map((r) => r.text());
    expect(raws[0]).toContain("<xml><Content>");
    expect(raws[1]).toBe('{\n  "id": "m1",\n  "user": {\n    "id": "u"\n  }\n}');
    expect(w.find("[data-test=channel-events-table] img").exists()).toBe(false);
    w.unmount();
  });
});

describe("an optional group of settings", () => {
  const schema = {
    $defs: { Socket: { properties: { host: { type: "string", title: "Host" }, port: { type: "integer", default: 8021, title: "Port" } }, required: ["host"], type: "object", title: "Socket" } },
    properties: { socket: { anyOf: [{ $ref: "#/$defs/Socket" }, { type: "null" }], default: null } },
    type: "object",
  };
  const fields = schemaFields(schema);

  it("is off and sent as nothing until switched on; then its own fields are checked", () => {
    expect(fields[0]).toMatchObject({ kind: "object", nullable: true });
    const values = initialValues(fields);
    expect((values.socket as FormValues)["$enabled"]).toBe(false);
    expect(buildConfig(fields, values, false, M)).toEqual({ config: {}, errors: {} });
    expect(buildConfig(fields, values, true, M).config).toEqual({ socket: null });
    (values.socket as FormValues)["$enabled"] = true;
    expect(buildConfig(fields, values, false, M).errors).toEqual({ "socket.host": "required" });
    (values.socket as FormValues).host = "pbx.local";
    expect(buildConfig(fields, values, false, M).config).toEqual({ socket: { host: "pbx.local", port: 8021 } });
  });

  it("starts on when the account has it", () => {
    const values = initialValues(fields, { socket: { host: "pbx.local", port: 9000 } }, true);
    expect(values.socket).toMatchObject({ $enabled: true, host: "pbx.local", port: "9000" });
  });
});
