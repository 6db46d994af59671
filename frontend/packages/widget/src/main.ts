// widget.js: `<script src="https://HOST/widget.js" data-key="WIDGET_KEY" async></script>`
// (docs/widget.md). Finds its own script tag, puts `window.Huiliu` in place (running the calls
// queued before it loaded) and starts the widget.
import { installApi } from "./api";
import { Widget } from "./widget";

declare const __WIDGET_VERSION__: string;

function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.key) return current;
  return document.querySelector<HTMLScriptElement>('script[data-key][src*="widget.js"]');
}

function boot(): void {
  const script = ownScript();
  const key = script?.dataset.key;
  if (!script || !key) {
    console.warn('Huiliu: add data-key="YOUR_WIDGET_KEY" to the widget.js script tag');
    return;
  }
  const base = new URL(script.src, location.href).origin;
  const widget = new Widget({ base, widgetKey: key, lang: script.dataset.lang ?? null });
  const api = installApi(window as unknown as { Huiliu?: unknown }, widget, __WIDGET_VERSION__);
  if (!api) return; // the script is on the page twice: the first one serves
  const start = () => void widget.start();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
  else start();
}

boot();
