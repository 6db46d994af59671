export { HuiliuClient } from "./client";
export type {
  ClientEvents,
  ClientStats,
  ConnectionState,
  HuiliuClientOptions,
  SendOptions,
  StateChange,
} from "./client";
export { Timeline } from "./timeline";
export type { TimelineItem, TimelineSource } from "./timeline";
export { HuiliuError, CloseCode } from "./errors";
export { Backoff } from "./backoff";
export type { BackoffOptions } from "./backoff";
export type { OutboxStorage, PendingMessage } from "./outbox";
export { newClientMsgId } from "./ids";
export type * from "./types";
