// @vitest-environment node
// widget.js within its budget: built as for production, gzipped as a page downloads it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { build, type InlineConfig } from "vite";
import { expect, it } from "vitest";

import config from "../vite.config";

const BUDGET = 40 * 1024;

it("widget.js is under 40 KB gzipped", async () => {
  const outDir = mkdtempSync(join(tmpdir(), "huiliu-widget-"));
  try {
    const base = config as InlineConfig;
    await build({ ...base, logLevel: "silent", build: { ...base.build, outDir } });
    const raw = readFileSync(join(outDir, "widget.js"));
    const gzipped = gzipSync(raw, { level: 9 }).length;
    expect(gzipped).toBeLessThan(BUDGET);
    // It is one classic script: no imports left, nothing else to fetch.
    expect(raw.toString()).not.toMatch(/\bimport\s*\(|^import /m);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}, 60_000);
