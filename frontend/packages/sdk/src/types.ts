// Protocol types for the SDK, built from the generated ones (protocol.gen.ts, from
// docs/protocol.schema.json). The generator leaves `type` optional on server frames (the
// server's models give it a default) and `content` untyped; here every frame gets its
// literal `type`, so frames form discriminated unions.
import type {
  Ack as GenAck,
  AnswerContent,
  AudioContent,
  CallContent,
  CardContent,
  ConversationUpdatedFrame as GenConversationUpdatedFrame,
  DeliveryUpdatedFrame as GenDeliveryUpdatedFrame,
  ErrorFrame as GenErrorFrame,
  EventContent,
  FileContent,
  HelloFrame as GenHelloFrame,
  ImageContent,
  LocationContent,
  MenuContent,
  MessageNewFrame as GenMessageNewFrame,
  MessageOut as GenMessageOut,
  PongFrame as GenPongFrame,
  QueuePositionFrame as GenQueuePositionFrame,
  QueueStatsFrame as GenQueueStatsFrame,
  ReadServerFrame as GenReadServerFrame,
  ResumedFrame as GenResumedFrame,
  RichContent,
  SuggestionsFrame as GenSuggestionsFrame,
  SurveyContent,
  TextContent,
  TypingServerFrame as GenTypingServerFrame,
  VideoContent,
} from "./protocol.gen";

export type {
  AnswerContent,
  AudioContent,
  CallContent,
  CardContent,
  ConversationOut,
  EventContent,
  FileContent,
  ImageContent,
  LocationContent,
  MenuContent,
  PrincipalInfo,
  RichContent,
  Sender,
  SurveyContent,
  SurveyOption,
  TextContent,
  VideoContent,
} from "./protocol.gen";

/** Every message content type (docs/protocol.md §5). */
export type Content =
  | TextContent
  | RichContent
  | ImageContent
  | FileContent
  | AudioContent
  | VideoContent
  | LocationContent
  | CardContent
  | MenuContent
  | EventContent
  | AnswerContent
  | CallContent
  | SurveyContent;

type Typed<T, K extends string> = Omit<T, "type"> & { type: K };

/** A stored message; `content` is one of the content types. */
export type MessageOut = Omit<GenMessageOut, "content"> & { content: Content };
export type Ack = Typed<GenAck, "ack">;
export type HelloFrame = Typed<GenHelloFrame, "hello">;
export type MessageNewFrame = Typed<Omit<GenMessageNewFrame, "message">, "message.new"> & {
  message: MessageOut;
};
export type TypingServerFrame = Typed<GenTypingServerFrame, "typing">;
export type ReadServerFrame = Typed<GenReadServerFrame, "read">;
export type ConversationUpdatedFrame = Typed<GenConversationUpdatedFrame, "conversation.updated">;
export type QueuePositionFrame = Typed<GenQueuePositionFrame, "queue.position">;
export type QueueStatsFrame = Typed<GenQueueStatsFrame, "queue.stats">;
export type SuggestionsFrame = Typed<GenSuggestionsFrame, "suggestions">;
export type ResumedFrame = Typed<GenResumedFrame, "resumed">;
export type PongFrame = Typed<GenPongFrame, "pong">;
export type ErrorFrame = Typed<GenErrorFrame, "error">;
export type DeliveryUpdatedFrame = Typed<GenDeliveryUpdatedFrame, "delivery.updated">;
/** Not in protocol.schema.json yet: an agent's internal note on a conversation. */
export interface NoteNewFrame {
  type: "note.new";
  note: Record<string, unknown>;
}

export type ServerFrame =
  | HelloFrame
  | Ack
  | MessageNewFrame
  | TypingServerFrame
  | ReadServerFrame
  | ConversationUpdatedFrame
  | QueuePositionFrame
  | QueueStatsFrame
  | SuggestionsFrame
  | ResumedFrame
  | PongFrame
  | ErrorFrame
  | DeliveryUpdatedFrame
  | NoteNewFrame;

/** Any frame from the server, including types this SDK version does not know. */
export interface AnyFrame {
  type: string;
  [field: string]: unknown;
}

/** conversation id (as a string, the way JSON keys are) → the last seq held. */
export type Cursors = Record<string, number>;

/** The part of the browser WebSocket the client uses; `ws` in Node satisfies it too. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => unknown) | null;
  onmessage: ((event: never) => unknown) | null;
  onclose: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;
