// `pnpm playground`: builds the playground and serves it on http://localhost:5173 (a secure
// context, so webgpu and the wasm files work), rebuilding on each page load.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlayground } from './build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const port = Number(process.env.PORT ?? 5173);
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

await buildPlayground(out);
createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const name = url.pathname === '/' ? '/index.html' : url.pathname;
  try {
    if (name === '/index.html') await buildPlayground(out);
    const file = path.join(out, path.normalize(name).replace(/^(\.\.[/\\])+/, ''));
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  } catch {
    res.writeHead(404).end('not found');
  }
}).listen(port, '127.0.0.1', () => console.log(`playground on http://localhost:${port}/`));
