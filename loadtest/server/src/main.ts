#!/usr/bin/env node
/**
 * Starts the sample web API. `--listen HOST:PORT` (or LISTEN_ADDRESS) says where; the default
 * is loopback, and the container image sets 0.0.0.0:8080. Prints one line "listening on
 * HOST:PORT" when ready (port 0 picks a free port, which that line then names).
 */
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';

function listenAddress(argv: readonly string[]): { host: string; port: number } {
  const i = argv.indexOf('--listen');
  const raw = (i >= 0 ? argv[i + 1] : undefined) ?? process.env.LISTEN_ADDRESS ?? '127.0.0.1:8080';
  const m = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(raw);
  const port = Number(m?.[2]);
  if (!m || port > 65535) {
    process.stderr.write(`server: --listen must be HOST:PORT, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return { host: m[1] || '0.0.0.0', port };
}

const { host, port } = listenAddress(process.argv.slice(2));
const server = createApp().listen(port, host, () => {
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  process.stdout.write(`listening on ${shown}:${addr.port}\n`);
});
server.on('error', (err) => {
  process.stderr.write(`server: ${err.message}\n`);
  process.exit(1);
});

// A handler is needed, not only tidiness: as PID 1 of a PID namespace (the demo's unshare, or a
// container), a signal with no handler is ignored.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
