#!/usr/bin/env node
// GraphQL over HTTP conformance: runs every server audit of the `graphql-http` package
// against a running endpoint.
//
//   node tests/audit/audit.mjs http://127.0.0.1:PORT/graphql [--json] [--timeout-ms N]
//
// One line per audit (PASS / FAIL / WARN / NOTE), then a summary per requirement level.
// Exit status: 0 when every MUST audit passes (SHOULD and MAY failures are reported only),
// 1 when any MUST audit fails, 2 on a usage error.
// With --json, stdout carries only one JSON document (the per-audit lines go to stderr).
import { serverAudits } from 'graphql-http';

const USAGE = 'usage: node tests/audit/audit.mjs <url of the GraphQL endpoint> [--json] [--timeout-ms N]';

function parseArgs(argv) {
  const opts = { url: undefined, json: false, timeoutMs: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') opts.json = true;
    else if (arg === '--timeout-ms') opts.timeoutMs = Number(argv[++i]);
    else if (arg.startsWith('--timeout-ms=')) opts.timeoutMs = Number(arg.slice('--timeout-ms='.length));
    else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (!arg.startsWith('-') && opts.url === undefined) opts.url = arg;
    else {
      console.error(`unexpected argument: ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  if (!opts.url) {
    console.error(USAGE);
    process.exit(2);
  }
  try {
    const u = new URL(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    console.error(`not an http(s) URL: ${opts.url}\n${USAGE}`);
    process.exit(2);
  }
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
    console.error(`bad --timeout-ms\n${USAGE}`);
    process.exit(2);
  }
  return opts;
}

// "MUST ...", "SHOULD ...", "MAY ..." (note "MAY NOT ..." is a MAY).
function levelOf(name) {
  return name.split(' ', 1)[0];
}

async function describeResponse(res) {
  if (!res) return undefined;
  let body;
  try {
    // The audit may have consumed the body already; a clone was kept where it reads it.
    body = await res.clone().text();
  } catch {
    body = '<body already read>';
  }
  if (body.length > 500) body = `${body.slice(0, 500)}... (${body.length} chars)`;
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body,
  };
}

async function main() {
  // Piping into `head` must not turn into an EPIPE stack trace.
  process.stdout.on('error', (err) => { if (err.code !== 'EPIPE') throw err; });
  const opts = parseArgs(process.argv.slice(2));
  const log = opts.json ? (line) => console.error(line) : (line) => console.log(line);

  // Every request gets a timeout so that a hung server fails the audit instead of hanging it.
  const fetchFn = (input, init = {}) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(opts.timeoutMs) });

  const audits = serverAudits({ url: opts.url, fetchFn });
  const results = [];
  // Sequentially: stable output order, and no burst of parallel requests against the server.
  for (const { id, name, fn } of audits) {
    const level = levelOf(name);
    let result;
    try {
      result = await fn();
    } catch (err) {
      // graphql-http throws (instead of returning a failed result) on fatal problems such as
      // a refused connection or a timeout: that is a failure of this audit too.
      result = { id, name, status: level === 'MUST' ? 'error' : level === 'SHOULD' ? 'warn' : 'notice', reason: `fatal: ${err?.cause?.message || err?.message || err}` };
    }
    const passed = result.status === 'ok';
    const entry = { id, name, level, passed, status: result.status };
    if (!passed) {
      entry.reason = result.reason;
      entry.response = await describeResponse(result.response);
    }
    results.push(entry);

    const tag = passed ? 'PASS' : level === 'MUST' ? 'FAIL' : level === 'SHOULD' ? 'WARN' : 'NOTE';
    log(`${tag} ${id} ${name}`);
    if (!passed) {
      log(`     reason: ${entry.reason}`);
      if (entry.response) {
        log(`     response: ${entry.response.status} content-type=${entry.response.contentType ?? '-'} body=${JSON.stringify(entry.response.body)}`);
      }
    }
  }

  const summary = {};
  for (const level of ['MUST', 'SHOULD', 'MAY']) {
    const of = results.filter((r) => r.level === level);
    summary[level] = { total: of.length, passed: of.filter((r) => r.passed).length, failed: of.filter((r) => !r.passed).length };
  }
  const ok = summary.MUST.failed === 0;

  log('');
  for (const [level, s] of Object.entries(summary)) {
    log(`${level.padEnd(6)} ${s.passed}/${s.total} passed, ${s.failed} failed`);
  }
  const failedMust = results.filter((r) => r.level === 'MUST' && !r.passed).map((r) => r.id);
  log(ok ? `graphql-http audit: every MUST passed (${opts.url})` : `graphql-http audit: MUST failures ${failedMust.join(', ')} (${opts.url})`);

  if (opts.json) {
    console.log(JSON.stringify({ url: opts.url, ok, summary, failedMust, results }, null, 2));
  }
  process.exit(ok ? 0 : 1);
}

await main();
