#!/usr/bin/env node
// Composes the supergraphs listed in supergraphs.json with @theguild/federation-composition.
//
//   node schema/compose.mjs            write every supergraph
//   node schema/compose.mjs --check    compose in memory; exit 1 if a committed file differs
//   node schema/compose.mjs [--check] <output path>...   only these supergraphs
//
// Paths in supergraphs.json are relative to the repository root (the parent of schema/).
// Exit status: 0 on success, 1 on a composition error or drift, 2 on bad input.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import { composeServices, compositionHasErrors } from "@theguild/federation-composition";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const check = args.includes("--check");
const only = args.filter((arg) => arg !== "--check");
if (only.some((arg) => arg.startsWith("-"))) {
  console.error(`unknown option in ${only.join(" ")}; usage: compose.mjs [--check] [output path...]`);
  process.exit(2);
}

const config = JSON.parse(readFileSync(resolve(root, "schema/supergraphs.json"), "utf8"));
// An output path is taken relative to the current directory, else to the repository root.
const outputs = new Set(config.supergraphs.map((s) => s.output));
const wanted = only.map((path) => {
  const fromCwd = relative(root, resolve(path));
  return outputs.has(fromCwd) ? fromCwd : relative(root, resolve(root, path));
});
const supergraphs = config.supergraphs.filter((s) => wanted.length === 0 || wanted.includes(s.output));
for (const path of wanted) {
  if (!outputs.has(path)) {
    console.error(`${path} is not an output in schema/supergraphs.json`);
    process.exit(2);
  }
}

let failed = false;
for (const supergraph of supergraphs) {
  const services = [];
  for (const subgraph of supergraph.subgraphs) {
    const file = resolve(root, subgraph.sdl);
    let typeDefs;
    try {
      typeDefs = parse(readFileSync(file, "utf8"));
    } catch (error) {
      console.error(`${supergraph.output}: cannot read subgraph ${subgraph.name} from ${subgraph.sdl}: ${error.message}`);
      failed = true;
      continue;
    }
    services.push({ name: subgraph.name, url: subgraph.url, typeDefs });
  }
  if (services.length !== supergraph.subgraphs.length) continue;

  const result = composeServices(services);
  if (compositionHasErrors(result)) {
    const names = supergraph.subgraphs.map((s) => s.name).join(", ");
    console.error(`${supergraph.output}: composition of ${names} failed with ${result.errors.length} error(s):`);
    for (const error of result.errors) {
      const code = error.extensions?.code ? `[${error.extensions.code}] ` : "";
      console.error(`  - ${code}${error.message}`);
    }
    failed = true;
    continue;
  }

  const output = resolve(root, supergraph.output);
  const composed = result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : `${result.supergraphSdl}\n`;
  const committed = existsSync(output) ? readFileSync(output, "utf8") : null;
  if (check) {
    if (committed !== composed) {
      console.error(
        `${supergraph.output} is ${committed === null ? "missing" : "out of date"}: ` +
          "recompose with `scripts/compose.sh` and commit the result",
      );
      failed = true;
    } else {
      console.log(`${supergraph.output}: up to date`);
    }
  } else if (committed === composed) {
    console.log(`${supergraph.output}: unchanged`);
  } else {
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, composed);
    console.log(`${supergraph.output}: written`);
  }
}
process.exit(failed ? 1 : 0);
