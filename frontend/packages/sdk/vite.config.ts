// The browser / Node bundle of @huiliu/sdk: one ES module, no dependencies.
//   npx vite build --config packages/sdk/vite.config.ts   (from frontend/)
// → packages/sdk/dist/huiliu-sdk.js (gitignored). The live tests import it from plain Node.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  publicDir: false,
  logLevel: "warn",
  build: {
    lib: { entry: "src/index.ts", formats: ["es"], fileName: () => "huiliu-sdk.js" },
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    minify: false,
    sourcemap: true,
  },
});
