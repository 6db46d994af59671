// Storage that fails quietly: private modes, full quotas and disabled storage leave the
// widget working from memory for the page.
/** localStorage that fails quietly (private modes, quotas, disabled storage). */
export class Store {
  private readonly memory = new Map<string, string>();
  constructor(private readonly backend: Storage | null) {}
  getItem(key: string): string | null {
    try {
      return this.backend ? this.backend.getItem(key) : (this.memory.get(key) ?? null);
    } catch {
      return this.memory.get(key) ?? null;
    }
  }
  setItem(key: string, value: string): void {
    this.memory.set(key, value);
    try {
      this.backend?.setItem(key, value);
    } catch {
      // kept in memory for this page
    }
  }
  removeItem(key: string): void {
    this.memory.delete(key);
    try {
      this.backend?.removeItem(key);
    } catch {
      // nothing to do
    }
  }
  keys(prefix: string): string[] {
    try {
      const out: string[] = [];
      for (let i = 0; this.backend && i < this.backend.length; i++) {
        const key = this.backend.key(i);
        if (key?.startsWith(prefix)) out.push(key);
      }
      return out;
    } catch {
      return [];
    }
  }
}

export function storage(kind: "localStorage" | "sessionStorage"): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}
