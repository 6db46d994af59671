// `npm run size` (in frontend/): the widget's size as a merchant's page downloads it,
// gzipped, against its budget. Exits 1 when over.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export const BUDGET = 40 * 1024;
const file = fileURLToPath(new URL("../../../dist/widget.js", import.meta.url));
const raw = readFileSync(file);
const gzipped = gzipSync(raw, { level: 9 }).length;
console.log(`widget.js: ${raw.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET})`);
if (gzipped > BUDGET) {
  console.error(`widget.js is ${gzipped - BUDGET} bytes over its ${BUDGET}-byte budget`);
  process.exit(1);
}
