/**
 * An error from the server (an `error` frame: `code`, `detail`, `field`, `clientMsgId`) or
 * from the client itself (`closed`, `invalid_token`, `wrong_endpoint`, `token_expired`,
 * `token_failed`, `bad_frame`). `closeCode` is set when a socket close caused it.
 */
export class HuiliuError extends Error {
  readonly code: string;
  readonly detail: string;
  readonly field: string | null;
  readonly clientMsgId: string | null;
  readonly closeCode: number | null;

  constructor(
    code: string,
    detail: string,
    extra: { field?: string | null; clientMsgId?: string | null; closeCode?: number | null; cause?: unknown } = {},
  ) {
    super(`${code}: ${detail}`, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "HuiliuError";
    this.code = code;
    this.detail = detail;
    this.field = extra.field ?? null;
    this.clientMsgId = extra.clientMsgId ?? null;
    this.closeCode = extra.closeCode ?? null;
  }
}

/** Close codes of docs/protocol.md §2. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  Abnormal: 1006,
  TooBig: 1009,
  InvalidToken: 4001,
  TokenExpired: 4002,
  WrongEndpoint: 4003,
  SlowConsumer: 4008,
  Idle: 4009,
} as const;
