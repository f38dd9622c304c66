// One subscription through a Braid gateway with a client library from npm, each message it
// gets printed as a JSON line ({"kind": "next" | "error" | "complete", "payload": ...}):
//   node subscribe.mjs <ws|sse> <http url of /graphql> <bearer token> <query> [variables JSON]
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';

const [transport, url, token, query, variables] = process.argv.slice(2);
const print = (kind, payload) => process.stdout.write(`${JSON.stringify({ kind, payload })}\n`);

const client =
  transport === 'ws'
    ? createWsClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { token },
        retryAttempts: 0,
        on: { connected: () => print('connected') },
      })
    : createSseClient({ url, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });

client.subscribe(
  { query, variables: variables ? JSON.parse(variables) : undefined },
  {
    next: (result) => print('next', result),
    error: (error) => {
      print('error', error instanceof Error ? error.message : error);
      process.exit(1);
    },
    complete: () => {
      print('complete');
      process.exit(0);
    },
  },
);
