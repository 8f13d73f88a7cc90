// Headless Chromium for the browser tests: a local server holding an empty page and the given
// files, and a throw-away profile. Nothing leaves 127.0.0.1.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import * as path from 'path';

export const CHROMIUM = '/usr/bin/chromium';
/** Why the browser tests are skipped here; undefined when Chromium is installed. */
export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent (apt-get install chromium)`;

export interface ChromiumSession {
  /** `http://127.0.0.1:PORT`: `/` is an empty page, the files at their URL paths. */
  base: string;
  // playwright-core is a devDependency; typed loosely so the tests compile without its types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  context: any;
  close(): Promise<void>;
}

/**
 * Serve `files` (URL path -> [content type, file read at each request]) and start Chromium.
 * `headers` go with every response (a Content-Security-Policy, say).
 */
export async function startChromium(files: Record<string, [string, string]>, headers: Record<string, string> = {}): Promise<ChromiumSession> {
  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const url = (req.url ?? '/').split('?')[0];
    // An empty icon link keeps Chromium from asking for /favicon.ico (a 404 console error).
    if (url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>tsjail</title><link rel="icon" href="data:,">');
    const f = files[url];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0] }).end(readFileSync(f[1]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(path.join(tmpdir(), 'tsjail-chromium-'));
  const close = async (): Promise<void> => {
    await context?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(profile, { recursive: true, force: true });
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;
  try {
    const { chromium } = require('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    await close();
    throw e;
  }
  return { base, context, close };
}
