// Elements built as nodes: strings always become text nodes (append), never markup.
export type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

export function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}

/** Absolute http(s) URLs only; anything else (javascript:, data:, relative: the merchant's
 * page is not where a message's links point) is null. */
export function safeUrl(url: unknown): string | null {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'，。！？、）】]+/gi;

/** Text with its http(s) addresses as links: text nodes and <a> elements, no markup. */
export function linkified(text: string): Node[] {
  const out: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    // Trailing punctuation usually ends the sentence, not the address.
    const url = match[0].replace(/[.,;:!?)\]]+$/, "");
    const href = safeUrl(url);
    if (!href) continue;
    if (start > last) out.push(document.createTextNode(text.slice(last, start)));
    out.push(h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, url));
    last = start + url.length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}
