// Bundles src/main.jsx into dist/graphiql.js + dist/graphiql.css and copies src/index.html.
// Stable file names, no hashes, no source maps, no external URLs: the gateway embeds dist/.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';

const dist = new URL('./dist/', import.meta.url);
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  entryPoints: { graphiql: 'src/main.jsx' },
  outdir: 'dist',
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Fonts and images referenced from the CSS are inlined, never fetched.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  legalComments: 'eof',
  logLevel: 'info',
});
await copyFile(new URL('./src/index.html', import.meta.url), new URL('index.html', dist));

// Refuse to ship anything that would load from the network at run time.
const offenders = [];
for (const file of ['index.html', 'graphiql.js', 'graphiql.css']) {
  const text = await readFile(new URL(file, dist), 'utf8');
  const patterns = [
    /<script[^>]+src=["']?(?:https?:)?\/\//gi,
    /<link[^>]+href=["']?(?:https?:)?\/\//gi,
    /@import\s+(?:url\()?["']?(?:https?:)?\/\//gi,
    /url\(\s*["']?(?:https?:)?\/\//gi,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) offenders.push(`${file}: ${m[0]}`);
}
if (offenders.length) {
  console.error('external resource loads found in dist/:\n' + offenders.join('\n'));
  process.exit(1);
}
