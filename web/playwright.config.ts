// End-to-end tests of the web app against a fresh `braid demo` (its own data directory and
// port), in Debian's Chromium (/usr/bin/chromium; Playwright's own browser download is not
// used). Screenshots of every screen go to web/screenshots/.
//   BRAID_BIN=path/to/braid npx playwright test
//   BRAID_TEST_URL=http://127.0.0.1:4000 npx playwright test    (a demo already running)
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import chromium from "./tests/chromium.json" with { type: "json" };

/** A free loopback port, asked of the OS (the config is evaluated synchronously). */
function freePort(): string {
  const script =
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  return execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
}

/** The braid binary: $BRAID_BIN, else the newest debug or release build in $CARGO_TARGET_DIR. */
function braidBinary(): string {
  if (process.env.BRAID_BIN) return process.env.BRAID_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), ".cache/braid/target");
  const built = ["debug", "release"].map((profile) => join(target, profile, "braid")).filter(existsSync);
  const newest = built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) throw new Error(`no braid binary in ${target}: build one, or set BRAID_BIN`);
  return newest;
}

// Evaluated again in each worker: the runner's choices reach them through the environment.
const running = process.env.BRAID_TEST_URL;
if (!running) {
  process.env.BRAID_TEST_PORT ??= freePort();
  process.env.BRAID_TEST_DATA ??= mkdtempSync(join(tmpdir(), "braid-web-test-"));
  process.env.BRAID_BIN ??= braidBinary();
}
const baseURL = running ?? `http://127.0.0.1:${process.env.BRAID_TEST_PORT}`;

export default defineConfig({
  testDir: "tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  globalTeardown: "./tests/teardown.ts",
  use: {
    baseURL,
    browserName: "chromium",
    viewport: { width: 1280, height: 800 },
    launchOptions: { executablePath: process.env.CHROMIUM ?? chromium.executablePath, args: chromium.args },
    trace: "off",
  },
  webServer: running
    ? undefined
    : {
        command: `"${process.env.BRAID_BIN}" demo --listen 127.0.0.1:${process.env.BRAID_TEST_PORT} --data-dir "${process.env.BRAID_TEST_DATA}"`,
        url: `${baseURL}/ready`,
        reuseExistingServer: false,
        timeout: 300_000,
        stdout: "ignore",
        stderr: "pipe",
      },
});
