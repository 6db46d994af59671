// Plain text with its web addresses as links, built as text and link segments (rendered
// with text interpolation and v-bind, never v-html), so no text ever becomes markup.
export interface Segment {
  text: string;
  href?: string;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'，。！？、）】]+/gi;

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    let url = match[0];
    // Trailing punctuation usually ends the sentence, not the address.
    const trail = /[.,;:!?)\]]+$/.exec(url);
    if (trail) url = url.slice(0, -trail[0].length);
    if (start > last) out.push({ text: text.slice(last, start) });
    out.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}
