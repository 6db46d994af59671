// Channels as the workbench shows them: an icon and a name per channel type. The server's
// types are the truth (GET /channels/types): a type this build has no name for shows as
// the server's own word, never as a missing translation key.

const ICONS: Record<string, string> = {
  web: "🌐",
  app: "📱",
  wechat: "💬",
  weibo: "🧣",
  email: "✉️",
  sms: "📨",
  phone: "📞",
  api: "🔌",
};

/** Conversations on these reach their customers over the socket: no delivery states. */
const SOCKET_CHANNELS = new Set(["web", "app"]);

export function channelIcon(channel: string | null | undefined): string {
  return (channel && ICONS[channel]) || "💬";
}

type Translate = (key: string) => string;
type Has = (key: string) => boolean;

/** The channel's name in the current language, or the channel type itself when unknown. */
export function channelLabel(t: Translate, te: Has, channel: string | null | undefined): string {
  const name = channel || "web";
  return te(`channel.${name}`) ? t(`channel.${name}`) : name;
}

/** Whether replies in a conversation on this channel go out through an adapter (and so
 * have a delivery state). */
export function hasDeliveries(channel: string | null | undefined): boolean {
  return !!channel && !SOCKET_CHANNELS.has(channel);
}
