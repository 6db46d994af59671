// Rich answers from the knowledge base are sanitized by the server when stored; the
// workbench sanitizes again before showing them (defence in depth), and only there: text is
// never interpreted as HTML anywhere.
import DOMPurify from "dompurify";

const SAFE_URL = /^(?:https?:|mailto:|tel:)/i;

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node instanceof HTMLAnchorElement) {
    if (!SAFE_URL.test(node.getAttribute("href") ?? "")) node.removeAttribute("href");
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node instanceof HTMLImageElement && !/^https?:/i.test(node.getAttribute("src") ?? "")) {
    node.removeAttribute("src");
  }
});

export function sanitizeHtml(html: string): string {
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS: ["p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "img", "h3", "h4", "blockquote", "code", "pre", "span", "table", "thead", "tbody", "tr", "td", "th"],
    ALLOWED_ATTR: ["href", "src", "alt", "title", "width", "height", "target", "rel"],
    ALLOW_DATA_ATTR: false,
  });
}

/** Whether a URL may be a link target or a media source (http and https only). */
export function safeUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}
