#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=20 --single-threaded
/**
 * Command-line entry: flags, start, shutdown, and exit codes: 2 for bad usage (flags, config
 * file, a collector refusing its configuration), 1 for failures (a bug included) and for a
 * shutdown that had to cut requests in flight; 0 for a clean one. Once the flags are
 * parsed every line goes through the logger, in the --log.format chosen (Node's own warnings
 * included).
 *
 * The V8 flags on the first line hold the heap near what the exporter keeps alive: by default V8
 * lets a busy process's young generation grow to 2 x 16 MB and its old generation to several times
 * its live size, which is most of a sidecar's memory (README "Benchmarks"). --single-threaded
 * keeps V8's garbage collection and optimising compiler on the main thread: for a process this
 * small, handing work to background threads and waking them costs more CPU than it saves, and
 * their allocations cost RSS. `npm start` and the image's ENTRYPOINT pass the same flags
 * (test/deploy/launchers.test.ts).
 */
import { allFlags, ignoredFlagsGiven, withNodeExporterFlags } from './options.js';
import { collectorFactoriesSharing } from './collectors.js';
import { CollectorBugError, DRAIN_MS, type RunningExporter, startExporter } from './exporter.js';
import { GOMAXPROCS_FLAG, LISTEN_ADDRESS_FLAG, LOG_FORMAT_FLAG, LOG_LEVEL_FLAG } from './cli/core-flags.js';
import { FlagError, type FlagSpec, formatHelp, type ParsedFlags, parseFlags } from './cli/flags.js';
import { createLogger, type Logger } from './lib/log.js';
import { ProbeEnvironment } from './probe/environment.js';
import { probeFlags, probeRoutesFromFlags } from './server/probe-routes.js';
import { endBySignal, exitProcess, POOL_DRAIN_MS } from './lib/process-exit.js';
import { packageVersion } from './cli/version.js';

const PROGRAM = 'sidecar-exporter';

/** Past the drain, collectors' close and the thread pool's grace: shutdown is then forced. */
const SHUTDOWN_BOUND_MS = DRAIN_MS + POOL_DRAIN_MS + 3000;

/** Before the flags are parsed there is no log format yet: kingpin's plain line. */
function usageError(message: string): never {
  process.stderr.write(`${PROGRAM}: error: ${message}\n`);
  process.exit(2);
}

/** Routes what Node itself would print on stderr (warnings, unhandled rejections) through the logger. */
function logProcessEvents(log: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => log.warn(warning.message, { warning: warning.name }));
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', (reason) => {
    // A bug must not take the exporter down mid-scrape; say it loudly and keep serving.
    log.error('unhandled rejection', { err: reason instanceof Error ? reason.stack : String(reason) });
  });
}

/** Why start-up failed, in one line, and the exit code. */
function startFailure(err: unknown, flags: ParsedFlags): { message: string; fields: Record<string, unknown>; code: number } {
  if (err instanceof FlagError) return { message: err.message, fields: {}, code: 2 };
  if (err instanceof CollectorBugError) {
    const cause = err.cause instanceof Error ? err.cause.stack : String(err.cause);
    const message = 'start-up failed: a bug in the exporter (a collector could not be created); please report it';
    return { message, fields: { collector: err.collector, err: cause }, code: 1 };
  }
  const e = err as NodeJS.ErrnoException;
  const address = flags.get(LISTEN_ADDRESS_FLAG);
  if (e.code === 'EADDRINUSE') return { message: 'listen failed', fields: { address, err: 'address already in use' }, code: 1 };
  if (e.code === 'EACCES') return { message: 'listen failed', fields: { address, err: 'permission denied' }, code: 1 };
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return { message: 'listen failed', fields: { address, err: e.code }, code: 1 };
  return { message: 'start-up failed', fields: { err: e.message }, code: 1 };
}

/** What a node_exporter command line asked for that this exporter does not do: said once at start. */
function logIgnoredFlags(specs: readonly FlagSpec[], flags: ParsedFlags, log: Logger): void {
  const ignored = ignoredFlagsGiven(specs, flags);
  if (ignored.flags.length > 0) {
    log.warn('ignoring node_exporter flags this exporter does not implement', { flags: ignored.flags.join(',') });
  }
  if (ignored.absentCollectors.length > 0) {
    log.warn('enabled collectors that this exporter does not have produce nothing', { collectors: ignored.absentCollectors.join(',') });
  }
  if (flags.isExplicit(GOMAXPROCS_FLAG)) log.info('--runtime.gomaxprocs has no effect: Node.js runs the exporter on one JavaScript thread');
}

/**
 * SIGTERM and SIGINT: drain requests in flight for up to DRAIN_MS, log what had to be cut,
 * exit 0 (clean) or 1 (something cut). A second signal, or a shutdown past its bound, ends
 * the process at once by that signal.
 */
function handleSignals(exporter: RunningExporter, log: Logger): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      log.warn('second signal during shutdown; exiting now', { signal });
      endBySignal(signal);
    }
    stopping = true;
    log.info('shutting down', { signal, drain_timeout_seconds: DRAIN_MS / 1000 });
    setTimeout(() => {
      log.error('shutdown did not finish in time; ending the process by signal', { signal, bound_seconds: SHUTDOWN_BOUND_MS / 1000 });
      endBySignal(signal);
    }, SHUTDOWN_BOUND_MS);
    let code = 0;
    try {
      const cut = await exporter.close(DRAIN_MS);
      if (cut.length > 0) {
        code = 1;
        log.error('shutdown cut requests still in flight after the drain timeout', {
          drain_timeout_seconds: DRAIN_MS / 1000,
          requests: cut.map((r) => `${r.method} ${r.path} (running ${r.seconds.toFixed(1)}s)`).join(', '),
        });
      } else log.info('shutdown complete');
    } catch (err) {
      code = 1;
      log.error('shutdown failed', { err });
    }
    await exitProcess(code, { log, signal });
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
  process.on('SIGHUP', () => {
    exporter.reload().catch(() => {
      // Already logged; the running config stays in force.
    });
  });
}

async function main(): Promise<void> {
  // One per process: /probe and the scheduled checks share the DNS lookup slots and the ping detection.
  const probes = new ProbeEnvironment();
  const collectorFactories = collectorFactoriesSharing(probes);
  const specs = withNodeExporterFlags([...allFlags(collectorFactories), ...probeFlags]);
  let flags: ParsedFlags;
  try {
    flags = parseFlags(specs, process.argv.slice(2));
  } catch (err) {
    usageError((err as Error).message);
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
  const log = createLogger(flags.get(LOG_LEVEL_FLAG), flags.get(LOG_FORMAT_FLAG));
  logProcessEvents(log);
  logIgnoredFlags(specs, flags, log);
  let exporter: RunningExporter;
  try {
    exporter = await startExporter({ factories: collectorFactories, flags, version, log, routes: [probeRoutesFromFlags(flags, probes)] });
  } catch (err) {
    const { message, fields, code } = startFailure(err, flags);
    log.error(message, fields);
    return exitProcess(code, { log });
  }
  handleSignals(exporter, log);
}

process.on('unhandledRejection', (reason) => {
  // Until the logger exists (flag parsing): plain text.
  process.stderr.write(`${PROGRAM}: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

void main();
