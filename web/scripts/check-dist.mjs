#!/usr/bin/env node
// Fails when the committed dist/ (embedded in the braid binary) is not what the sources build:
// regenerates the public schema and the typed operations, type-checks, builds into a temporary
// directory and compares it with dist/ file by file.
//   node scripts/check-dist.mjs      (npm run check-dist)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(web, "node_modules", ".bin", name);
const run = (file, args) => execFileSync(file, args, { cwd: web, stdio: ["ignore", "inherit", "inherit"] });

function files(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

const out = mkdtempSync(join(tmpdir(), "braid-web-dist-"));
try {
  run(process.execPath, [join(web, "scripts/public-schema.mjs")]);
  run(bin("graphql-codegen"), ["--config", "codegen.ts"]);
  run(bin("tsc"), ["-b"]);
  run(bin("vite"), ["build", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"]);
  const built = files(out);
  const committed = files(join(web, "dist"));
  const differences = [];
  for (const [path, bytes] of built) {
    if (!committed.has(path)) differences.push(`missing from web/dist: ${path}`);
    else if (!committed.get(path).equals(bytes)) differences.push(`differs: web/dist/${path}`);
  }
  for (const path of committed.keys()) {
    if (!built.has(path)) differences.push(`not built any more: web/dist/${path}`);
  }
  if (differences.length > 0) {
    console.error(differences.join("\n"));
    console.error("web/dist is stale: run `npm run build` in web/ and commit web/dist.");
    process.exit(1);
  }
  console.log(`web/dist is up to date (${built.size} files).`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
