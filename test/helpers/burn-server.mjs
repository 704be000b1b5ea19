#!/usr/bin/env node
/**
 * A small web server for the sidecar namespace test: a primary process and N worker processes
 * (node:cluster), listening on 127.0.0.1:<port>; each request burns ?ms= milliseconds of CPU
 * time (20 by default, at most 200). Plain Node, no dependencies.
 *
 *   node burn-server.mjs <port> [workers=2]
 *
 * Prints "listening <port>" once every worker listens. Run as PID 1 of a PID namespace, it must
 * handle SIGTERM itself (init gets no default signal actions).
 */
import cluster from 'node:cluster';
import http from 'node:http';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 2);
if (!Number.isInteger(port) || port <= 0 || !Number.isInteger(workers) || workers < 1) {
  process.stderr.write('usage: burn-server.mjs <port> [workers]\n');
  process.exit(2);
}

if (cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) process.stdout.write(`listening ${port}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code})\n`);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  http
    .createServer((req, res) => {
      const asked = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('ms') ?? 20);
      const ms = Number.isFinite(asked) ? Math.min(Math.max(asked, 0), 200) : 20;
      // Burn CPU time, not wall time: on a busy machine the process may wait for a CPU.
      const start = process.cpuUsage();
      let x = 0;
      for (;;) {
        for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
        const used = process.cpuUsage(start);
        if (used.user + used.system >= ms * 1000) break;
      }
      res.end(`burned ${ms} ms (${x.toFixed(0)})\n`);
    })
    .listen(port, '127.0.0.1');
}
