import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it when missing), or `$CHROMIUM_PATH`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether a Chromium binary is there to drive. */
export const haveChromium = existsSync(chromiumPath);

/** The engines the browser tests run on. */
export type BrowserEngine = 'webgl' | 'webgpu' | 'wasm' | 'cpu';

/**
 * Chromium's switches per engine. On a machine without a GPU, SwiftShader (Chromium's software
 * Vulkan/GL) gives webgl a real WebGL 2 context and webgpu a real WebGPU adapter, so the GPU
 * engines' code paths run in every CI run.
 */
export function chromiumArgs(engine: BrowserEngine): string[] {
  const common = ['--no-sandbox'];
  if (engine === 'webgl') return [...common, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
  // Exactly these two: adding --use-angle=swiftshader and --enable-features=Vulkan as well gave an
  // adapter whose every compute result read back as zeros (Chromium 156, SwiftShader).
  if (engine === 'webgpu') return [...common, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
  return common;
}

/** Launches headless Chromium for one engine. */
export function launch(engine: BrowserEngine): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs(engine) });
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

/**
 * Serves files on 127.0.0.1 (a secure context, as WebGPU needs): `files` maps URL paths to
 * contents or to files on disk. Returns the origin and a close function.
 */
export async function serve(
  files: Readonly<Record<string, string | { readonly file: string }>>,
): Promise<{ origin: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.pathname === '/' ? '/index.html' : url.pathname;
    const entry = files[key];
    if (entry === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = typeof entry === 'string' ? entry : readFileSync(entry.file);
    const name = typeof entry === 'string' ? key : entry.file;
    res.writeHead(200, { 'content-type': types[path.extname(name)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
