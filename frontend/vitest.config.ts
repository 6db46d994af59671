import { fileURLToPath, URL } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./src", import.meta.url)),
      "@huiliu/sdk": fileURLToPath(new URL("./packages/sdk/src/index.ts", import.meta.url)),
    },
  },
  test: {
    environment: "jsdom",
    // Mounting Element Plus views in jsdom takes seconds on a busy 2-core machine.
    testTimeout: 20_000,
    include: ["src/**/*.test.ts", "packages/*/test/**/*.test.ts"],
  },
});
