// The content types of docs/protocol.md §5, from the protocol's generated types.
import type {
  AnswerContent,
  AudioContent,
  CallContent,
  CardContent,
  EventContent,
  FileContent,
  ImageContent,
  LocationContent,
  MenuContent,
  RichContent,
  SurveyContent,
  TextContent,
  VideoContent,
} from "../../packages/sdk/src/protocol.gen";

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
export type ContentOf<T extends Content["type"]> = Extract<Content, { type: T }>;
export type {
  AnswerContent,
  CallContent,
  CardContent,
  EventContent,
  ImageContent,
  MenuContent,
  RichContent,
  SurveyContent,
  TextContent,
};
