// `tsjail playground [--port N] [--open]`: serve the policy review page (dist/web/, built by
// scripts/build-web.js) on 127.0.0.1 only. The page needs nothing else: no request leaves the
// machine once it is loaded. Every response carries the Content-Security-Policy the page is
// built to work under (docs/playground.md).

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import type { Command } from 'commander';
import { PolicyFailure, UsageError } from './errors';

/** Instantiating core.wasm needs 'wasm-unsafe-eval'; nothing else is relaxed. */
export const PLAYGROUND_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
};

/** dist/web beside the CLI bundle (dist/cli.cjs), or from the source tree (ts/cli). */
export function webRoot(): string {
  const candidates = [path.join(__dirname, 'web'), path.resolve(__dirname, '..', '..', 'dist', 'web')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'index.html')));
  if (!found) throw new PolicyFailure('playground: the page is not built (dist/web/index.html is missing; run npm run build)');
  return found;
}

/** A server for the files of `root` (one flat directory, read at each request). */
export function createPlaygroundServer(root: string): http.Server {
  return http.createServer((req, res) => {
    const headers = { 'content-security-policy': PLAYGROUND_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' };
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
    const name = decodeURIComponent((req.url ?? '/').split(/[?#]/)[0]).replace(/^\/+/, '') || 'index.html';
    // Only plain names of files in the directory: no '/', so no way out of it.
    const type = TYPES[path.extname(name)];
    if (name.includes('/') || name.includes('\\') || name.startsWith('.') || !type) return void res.writeHead(404, headers).end('not found\n');
    fs.readFile(path.join(root, name), (err, data) => {
      if (err) return void res.writeHead(404, headers).end('not found\n');
      res.writeHead(200, { ...headers, 'content-type': type, 'content-length': data.length });
      res.end(req.method === 'HEAD' ? undefined : data);
    });
  });
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new PolicyFailure(`playground: port ${port} on 127.0.0.1 is already in use; choose another with --port`));
      else if (e.code === 'EACCES') reject(new PolicyFailure(`playground: not allowed to listen on port ${port}; choose one above 1023 with --port`));
      else reject(new PolicyFailure(`playground: cannot listen on 127.0.0.1:${port}: ${e.message}`));
    });
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** xdg-open when it is on PATH; otherwise the printed URL is the way in. */
function openBrowser(url: string): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  const xdg = dirs.map((d) => path.join(d, 'xdg-open')).find((p) => { try { fs.accessSync(p, fs.constants.X_OK); return true; } catch { return false; } });
  if (!xdg) return false;
  const child = spawn(xdg, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return true;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`playground: --port must be a number from 0 to 65535, not "${text}"`);
  return Number(text);
}

export function registerPlayground(program: Command): void {
  program
    .command('playground')
    .description('serve the policy review page (editor, program, what-if, cost, diff, exports) on 127.0.0.1')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0: any free port)', '8000')
    .option('--open', 'open the page in the default browser (xdg-open)')
    .action(async (opts: { port: string; open?: boolean }) => {
      const port = parsePort(opts.port);
      const server = createPlaygroundServer(webRoot());
      const actual = await listen(server, port);
      const url = `http://127.0.0.1:${actual}/`;
      process.stdout.write(`tsjail playground: serving ${url} (Ctrl-C to stop)\n`);
      if (opts.open && !openBrowser(url)) process.stdout.write(`tsjail playground: xdg-open is not installed; open ${url} in a browser\n`);
      await new Promise<void>((resolve) => {
        // Browsers keep connections open: end them too, or close() would wait for them.
        const stop = () => { server.close(() => resolve()); server.closeAllConnections(); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
