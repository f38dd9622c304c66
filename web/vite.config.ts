import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway serves dist/ at / (embedded in the binary): hashed files under assets/ are cached
// for a year, index.html is revalidated. `npm run dev` proxies the API (HTTP and WebSocket) to a running `braid demo`.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    sourcemap: false,
    // No inline script, so the gateway's Content-Security-Policy can stay `script-src 'self'`.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  // `vite preview` uses the same proxy; `ws` passes the subscriptions' WebSocket upgrades on.
  server: {
    proxy: { "/graphql": { target: process.env.BRAID_URL ?? "http://127.0.0.1:4000", ws: true } },
  },
});
