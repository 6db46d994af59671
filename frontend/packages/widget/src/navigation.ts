// A single-page app changes pages without loading one: history changes count as page views.
/** Page views of single-page apps: history changes (pushState, back, hash). */
export function watchNavigation(onChange: () => void): void {
  let last = location.href;
  const check = () => {
    if (location.href !== last) {
      last = location.href;
      onChange();
    }
  };
  for (const name of ["pushState", "replaceState"] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      setTimeout(check);
      return result;
    };
  }
  addEventListener("popstate", check);
  addEventListener("hashchange", check);
}
