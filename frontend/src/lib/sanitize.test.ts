import { describe, expect, it } from "vitest";

import { safeUrl, sanitizeHtml } from "./sanitize";

describe("sanitizeHtml", () => {
  it("removes scripts, event handlers and javascript: links", () => {
    const out = sanitizeHtml(
      '<p onclick="alert(1)">hi</p><script>alert(2)</script><img src=x onerror=alert(3)><a href="javascript:alert(4)">x</a>',
    );
    expect(out).not.toMatch(/script|onerror|onclick|javascript:/i);
    expect(out).toContain("<p>hi</p>");
  });

  it("keeps safe formatting and opens links in a new tab without the opener", () => {
    const out = sanitizeHtml('<b>退款</b> <a href="https://shop.example/help">帮助</a>');
    expect(out).toContain("<b>退款</b>");
    expect(out).toContain('rel="noopener noreferrer nofollow"');
  });
});

describe("safeUrl", () => {
  it("accepts http(s) only", () => {
    expect(safeUrl("https://a.example/x.png")).toBe("https://a.example/x.png");
    expect(safeUrl("javascript:alert(1)")).toBeUndefined();
    expect(safeUrl("data:image/png;base64,AAAA")).toBeUndefined();
    expect(safeUrl(null)).toBeUndefined();
  });
});
