// Small helpers the admin views share: the server's error as one readable line, copying to
// the clipboard, and temporary passwords.
import { ApiError } from "@/api/http";

type Translate = (key: string, named?: Record<string, unknown>) => string;

/** The server's `detail` (with the field it names, if any), the permission a 403 names, or
 * the error's message. */
export function errorText(e: unknown, t?: Translate): string {
  if (e instanceof ApiError) {
    // A right the caller's role lacks: name it in the console's language.
    if (e.status === 403 && e.permission && t) {
      return t("admin.common.lacksPermission", { what: t(`admin.permissions.${e.permission}.label`) });
    }
    if (e.field && t) return t("admin.common.errorField", { detail: e.detail, field: e.field });
    if (e.field) return `${e.detail} (${e.field})`;
    return e.detail;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Copy text; false when the browser refuses (the caller says so, the text stays visible). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back to a selection below
  }
  try {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok;
  } catch {
    return false;
  }
}

const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** A temporary password without look-alike characters (0/O, 1/l/I), 14 by default. */
export function temporaryPassword(length = 14): string {
  const bytes = new Uint32Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length];
  return out;
}

/** Split a list typed one per line or comma-separated into trimmed, unique, non-empty items. */
export function splitList(text: string, separators: RegExp = /[\n,，]/): string[] {
  return [...new Set(text.split(separators).map((s) => s.trim()).filter(Boolean))];
}

/** The text of an HTML fragment, read through an inert document (nothing loads or runs). */
export function htmlToText(html: string): string {
  const doc = new DOMParser().parseFromString(html, "text/html");
  return (doc.body.textContent ?? "").replace(/\s+/g, " ").trim();
}
