// The web widget's appearance as the admin console edits it (GET/PUT /tenant/widget): the
// form's values, what is wrong with them (the server checks the same), and the body to save.
export interface WidgetAppearance {
  color: string;
  logo_url: string | null;
  title: string | null;
  language: "zh-CN" | "en";
  position: "right" | "left";
  greeting: string | null;
  identity_required: boolean;
}

export const DEFAULT_APPEARANCE: WidgetAppearance = {
  color: "#2563eb",
  logo_url: null,
  title: null,
  language: "zh-CN",
  position: "right",
  greeting: null,
  identity_required: false,
};

export const LIMITS = { title: 40, greeting: 500, logo_url: 2000 } as const;

export type AppearanceProblem = "color" | "logo" | "title" | "greeting";

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** The fields that would be refused, in form order. */
export function problems(form: WidgetAppearance): AppearanceProblem[] {
  const out: AppearanceProblem[] = [];
  if (!/^#[0-9a-fA-F]{6}$/.test(form.color)) out.push("color");
  const logo = form.logo_url?.trim();
  if (logo && (!isHttpUrl(logo) || logo.length > LIMITS.logo_url)) out.push("logo");
  if ((form.title?.trim().length ?? 0) > LIMITS.title) out.push("title");
  if ((form.greeting?.trim().length ?? 0) > LIMITS.greeting) out.push("greeting");
  return out;
}

/** What PUT /tenant/widget takes: trimmed, blanks as null, the colour in lower case. */
export function body(form: WidgetAppearance): WidgetAppearance {
  const blank = (v: string | null) => (v?.trim() ? v.trim() : null);
  return {
    color: form.color.toLowerCase(),
    logo_url: blank(form.logo_url),
    title: blank(form.title),
    language: form.language,
    position: form.position,
    greeting: blank(form.greeting),
    identity_required: form.identity_required,
  };
}

/** Text in the header and launcher: dark on a light colour, white on a dark one. */
export function onColor(hex: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(hex)) return "#ffffff";
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.55 ? "#111827" : "#ffffff";
}
