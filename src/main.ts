#!/usr/bin/env node
/** Command-line entry: flags, start, and exit codes (2 for bad usage, 1 for failures). */
import { allFlags } from './cli.js';
import { collectorFactories } from './collector/registry.js';
import { startExporter } from './exporter.js';
import { FlagError, formatHelp, parseFlags } from './flags.js';
import { probeFlags, probeRoutesFromFlags } from './probe/handler.js';
import { packageVersion } from './version.js';

const PROGRAM = 'sidecar-exporter';

function fail(message: string, code: number): never {
  process.stderr.write(`${PROGRAM}: error: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const specs = [...allFlags(collectorFactories), ...probeFlags];
  let flags;
  try {
    flags = parseFlags(specs, process.argv.slice(2));
  } catch (err) {
    fail((err as Error).message, 2);
  }
  const version = packageVersion();
  if (flags.help) {
    process.stdout.write(formatHelp(PROGRAM, 'Prometheus exporter for host, process and uptime metrics, run beside a web server.', specs));
    return;
  }
  if (flags.version) {
    process.stdout.write(`${PROGRAM}, version ${version} (node ${process.version})\n`);
    return;
  }
  let exporter;
  try {
    exporter = await startExporter(collectorFactories, flags, version, undefined, [probeRoutesFromFlags(flags)]);
  } catch (err) {
    if (err instanceof FlagError) fail(err.message, 2);
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e.code === 'EADDRINUSE') fail(`listen: address ${flags.string('web.listen-address')} is already in use`, 1);
    if (e.code === 'EACCES') fail(`listen: permission denied for ${flags.string('web.listen-address')}`, 1);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') fail(`listen: cannot listen on ${flags.string('web.listen-address')}: ${e.code}`, 1);
    fail(`start-up failed: ${e.message}`, 1);
  }
  const shutdown = (signal: string): void => {
    process.stderr.write(`${PROGRAM}: ${signal} received, shutting down\n`);
    exporter.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGHUP', () => {
    exporter.reload().catch(() => {
      // Already logged; the running config stays in force.
    });
  });
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

process.on('unhandledRejection', (reason) => {
  // A bug must not take the exporter down mid-scrape; say it loudly and keep serving.
  process.stderr.write(`${PROGRAM}: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

void main();
