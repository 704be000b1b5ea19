/** Mounts the /probe routes on a bare express app on 127.0.0.1, with a config given as YAML. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { parseConfig } from '../../src/config/load.js';
import { ConfigStore } from '../../src/config/store.js';
import type { Logger } from '../../src/lib/log.js';
import { silentLogger } from '../../src/lib/log.js';
import { createProbeRoutes, type ProbeRoutesOptions } from '../../src/server/probe-routes.js';
import type { RoutesFactory } from '../../src/server/routes.js';

export interface ProbeApp {
  readonly port: number;
  close(): Promise<void>;
}

export function startProbeApp(yaml: string, options: ProbeRoutesOptions = {}, log: Logger = silentLogger): Promise<ProbeApp> {
  return startProbeAppWith(yaml, createProbeRoutes(options), log);
}

/** The app with routes built elsewhere (e.g. from the command line's flags). */
export async function startProbeAppWith(yaml: string, routes: RoutesFactory, log: Logger = silentLogger): Promise<ProbeApp> {
  const app = express();
  routes(ConfigStore.of(parseConfig(yaml, 'probe-test.yml')), log)(app);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('404 page not found\n');
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly ms: number;
}

/** GET http://127.0.0.1:port + path, bounded; `abortAfterMs` hangs up early (and resolves status 0). */
export function get(port: number, urlPath: string, headers: Record<string, string> = {}, abortAfterMs?: number): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, ms: Date.now() - started }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer for ${urlPath}`)));
    req.on('error', (err) => (abortAfterMs !== undefined ? resolve({ status: 0, contentType: '', text: '', ms: Date.now() - started }) : reject(err)));
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs);
  });
}

export function probePath(params: Record<string, string>): string {
  return `/probe?${new URLSearchParams(params).toString()}`;
}
