// Rich answers (knowledge-base HTML) are sanitized by the server when stored and again
// here, with DOMPurify and a short allow-list, into a fragment of nodes: the page never
// parses an HTML string of ours.
import DOMPurify from "dompurify";

import { safeUrl } from "./dom";

const purify = DOMPurify(window);

purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A") {
    const href = safeUrl(node.getAttribute("href"));
    if (href) node.setAttribute("href", href);
    else node.removeAttribute("href");
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node.nodeName === "IMG") {
    const src = safeUrl(node.getAttribute("src"));
    if (src) node.setAttribute("src", src);
    else node.removeAttribute("src");
  }
});

const CONFIG = {
  ALLOWED_TAGS: ["p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "img", "h3", "h4", "blockquote", "code", "pre", "span", "table", "thead", "tbody", "tr", "td", "th"],
  ALLOWED_ATTR: ["href", "src", "alt", "title", "width", "height"],
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true as const,
};

export function sanitized(html: string): DocumentFragment {
  return purify.sanitize(html, CONFIG);
}
