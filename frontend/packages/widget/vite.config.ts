// widget.js: one IIFE file for merchants' pages, built into the front end's dist/ (served by
// Huiliu at /widget.js). `npm run build` in frontend/ runs this after the app's build.
import { fileURLToPath, URL } from "node:url";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  publicDir: false,
  resolve: { alias: { "@huiliu/sdk": here("../sdk/src/index.ts") } },
  define: { __WIDGET_VERSION__: JSON.stringify("0.1.0") },
  build: {
    outDir: here("../../dist"),
    emptyOutDir: false,
    copyPublicDir: false,
    target: "es2020",
    minify: true,
    sourcemap: false,
    reportCompressedSize: true,
    lib: {
      entry: here("./src/main.ts"),
      formats: ["iife"],
      name: "HuiliuWidget",
      fileName: () => "widget.js",
    },
  },
});
