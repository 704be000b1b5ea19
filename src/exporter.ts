/**
 * Builds and starts the exporter from parsed flags, and shuts it down; main.ts turns failures
 * into exit codes. Nothing before listening may wait without bound: the config file is checked
 * to be a regular file first (a FIFO would wait for a writer forever) and read within a bound.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExporterConfig, toConfig } from './options.js';
import type { Collector, CollectorFactory } from './collector/collector.js';
import { ConfigError } from './config/error.js';
import { ConfigStore } from './config/store.js';
import { NodeCollector } from './collector/node-collector.js';
import { FlagError, type ParsedFlags } from './cli/flags.js';
import { formatListenAddress } from './cli/listen-address.js';
import { createLogger, type Logger } from './lib/log.js';
import { HostFs } from './hostfs/host-fs.js';
import { HostPaths } from './hostfs/paths.js';
import { SelfMetrics } from './server/self-metrics.js';
import { createApp } from './server/http-server.js';
import type { RoutesFactory } from './server/routes.js';
import { BasicAuth } from './server/web-config/basic-auth.js';
import { guardedListener } from './server/web-config/gate.js';
import { WebConfigStore } from './server/web-config/store.js';
import { serveOverTls, type TlsListener } from './server/web-config/tls-listener.js';

/** A request that was still running when the drain bound passed, and was cut. */
export interface CutRequest {
  readonly method: string;
  readonly path: string;
  readonly seconds: number;
}

export interface RunningExporter {
  readonly config: ExporterConfig;
  readonly fileConfig: ConfigStore;
  readonly server: http.Server;
  readonly port: number;
  /** Re-reads --config.file; the old config stays when the new one is invalid. */
  reload(): Promise<void>;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `drainMs`, then
   * closes every connection and the collectors; returns the requests that were cut.
   */
  close(drainMs?: number): Promise<readonly CutRequest[]>;
}

/** How long shutdown waits for requests in flight. Docker's stop timeout, 10 s, leaves room for the rest. */
export const DRAIN_MS = 5000;
/** How long shutdown waits for collectors to stop (worker threads, timers). */
const COLLECTOR_CLOSE_MS = 1000;

/** A collector's create() threw something other than a refusal of its configuration: a bug. */
export class CollectorBugError extends Error {
  override readonly name = 'CollectorBugError';
  constructor(
    readonly collector: string,
    cause: unknown,
  ) {
    super(`collector ${collector}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The reader of the host the --path.* flags name; its owner closes it. */
export function hostFsFor(config: ExporterConfig): HostFs {
  return new HostFs(new HostPaths(config.procfs, config.sysfs, config.rootfs));
}

/**
 * Instantiates the enabled collectors. A factory that refuses its flags (FlagError) or the
 * config file (ConfigError) is a usage error; anything else it throws is a CollectorBugError.
 * Either way the collectors already created are closed.
 */
export function createCollectors(
  factories: readonly CollectorFactory[],
  config: ExporterConfig,
  flags: ParsedFlags,
  log: Logger,
  host: HostFs,
  fileConfig: ConfigStore = ConfigStore.of(),
): Map<string, Collector> {
  const collectors = new Map<string, Collector>();
  for (const f of factories) {
    if (!config.enabledCollectors.includes(f.name)) continue;
    try {
      collectors.set(f.name, f.create({ host, flags, log: log.with({ collector: f.name }), config: fileConfig }));
    } catch (err) {
      void closeAll(collectors);
      if (err instanceof FlagError || err instanceof ConfigError) throw new FlagError(`collector ${f.name}: ${err.message}`);
      throw new CollectorBugError(f.name, err);
    }
  }
  return collectors;
}

export interface StartOptions {
  readonly factories: readonly CollectorFactory[];
  readonly flags: ParsedFlags;
  /** For the build-info metric and the landing page. */
  readonly version: string;
  /** Default: a logger for --log.level and --log.format. */
  readonly log?: Logger;
  /** Extra HTTP routes (such as /probe). */
  readonly routes?: readonly RoutesFactory[];
}

export async function startExporter({ factories, flags, version, log, routes = [] }: StartOptions): Promise<RunningExporter> {
  const config = toConfig(factories, flags);
  const logger = log ?? createLogger(config.logLevel, config.logFormat);
  const host = hostFsFor(config);
  const fileConfig = await openConfig(config.configFile, host);
  const webConfig = config.webConfigFile === undefined ? undefined : await openWebConfig(config.webConfigFile, host, logger);
  const collectors = createCollectors(factories, config, flags, logger, host, fileConfig);
  const reload = async (): Promise<void> => {
    try {
      const before = fileConfig.current;
      // An unchanged file gives back the running config itself: nothing was applied.
      const after = await fileConfig.reload();
      logger.info(after === before ? 'config file unchanged; nothing to apply' : 'config reloaded', { file: fileConfig.file });
    } catch (err) {
      logger.error('config reload failed; keeping the running config', { err });
      throw err;
    }
  };
  logger.info('enabled collectors', { collectors: [...collectors.keys()].join(',') });
  const selfMetrics = config.disableExporterMetrics ? undefined : new SelfMetrics();
  let shuttingDown = false;
  const app = createApp({
    version,
    telemetryPath: config.telemetryPath,
    maxRequests: config.maxRequests,
    collectorTimeoutMs: config.collectorTimeoutMs,
    nodeCollector: new NodeCollector(collectors, logger),
    knownCollectors: factories.map((f) => f.name),
    selfMetrics,
    log: logger,
    reload,
    routes: routes.map((r) => r(fileConfig, logger)),
    healthProblems: () => host.problems(),
    shuttingDown: () => shuttingDown,
  });
  const auth = webConfig ? new BasicAuth(logger) : undefined;
  const server = http.createServer(webConfig && auth ? guardedListener(webConfig, auth, app) : app);
  const tlsListener: TlsListener | undefined = webConfig?.current.tls ? serveOverTls(server, webConfig, logger) : undefined;
  const inFlight = trackRequests(server);
  // Prometheus scrapes every 15s by default; keep its connection instead of reopening it.
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (config.systemdSocket) server.listen(systemdListenFd(), listening);
      else server.listen(config.listen.port, config.listen.host, listening);
    });
  } catch (err) {
    // Not listening: nothing else will close what was started (worker threads, timers).
    auth?.close();
    selfMetrics?.close();
    await closeAll(collectors);
    host.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  if (config.systemdSocket) logger.info('Listening on the socket systemd passed', { fd: SD_LISTEN_FDS_START, port });
  else logger.info('Listening on', { address: formatListenAddress(config.listen.host, port) });
  if (webConfig) {
    const { tls, users } = webConfig.current;
    logger.info(tls ? 'TLS is enabled.' : 'TLS is disabled.', { http2: false, basic_auth_users: users.size, file: webConfig.file });
  }
  return {
    config,
    fileConfig,
    server,
    port,
    reload,
    close: async (drainMs = DRAIN_MS) => {
      shuttingDown = true;
      server.close();
      tlsListener?.close();
      const cut = await inFlight.drain(drainMs);
      server.closeAllConnections();
      auth?.close();
      selfMetrics?.close();
      await closeAll(collectors);
      host.close();
      return cut;
    },
  };
}

/** ConfigStore.open; the config reader refuses special files and is bounded in time itself. */
async function openConfig(file: string | undefined, host: HostFs): Promise<ConfigStore> {
  try {
    return await ConfigStore.open(file, host);
  } catch (err) {
    if (err instanceof ConfigError) throw new FlagError(`invalid config: ${err.message}`);
    throw err;
  }
}

/** The --web.config.file, checked completely (certificates included) before the exporter listens. */
async function openWebConfig(file: string, host: HostFs, log: Logger): Promise<WebConfigStore> {
  try {
    return await WebConfigStore.open(file, host, log);
  } catch (err) {
    if (err instanceof ConfigError) throw new FlagError(`invalid --web.config.file: ${err.message}`);
    throw err;
  }
}

/** Closes every collector, waiting at most COLLECTOR_CLOSE_MS; never rejects. */
function closeAll(collectors: ReadonlyMap<string, Collector>): Promise<void> {
  return settleWithin(
    [...collectors.values()].map(async (c) => c.close?.()),
    COLLECTOR_CLOSE_MS,
  );
}

/** Waits for `promises` to settle, at most `ms`. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** The server's requests in flight, so that shutdown can wait for them and say which it cut. */
function trackRequests(server: http.Server): { drain(ms: number): Promise<CutRequest[]> } {
  const running = new Map<http.IncomingMessage, number>();
  let draining: (() => void) | undefined;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    running.set(req, performance.now());
    res.once('close', () => {
      running.delete(req);
      if (!draining) return;
      // Its keep-alive connection must not bring another request.
      server.closeIdleConnections();
      if (running.size === 0) draining();
    });
  });
  return {
    async drain(ms) {
      server.closeIdleConnections();
      if (running.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          draining = resolve;
          timer = setTimeout(resolve, ms);
        });
        clearTimeout(timer);
      }
      const now = performance.now();
      return [...running].map(([req, started]) => ({
        method: req.method ?? '?',
        // The path only: a query string can be long, or hold a probe target's credentials.
        path: (req.url ?? '').split('?')[0]?.slice(0, 200) ?? '',
        seconds: (now - started) / 1000,
      }));
    },
  };
}

/** The first file descriptor systemd passes (sd_listen_fds(3)). */
const SD_LISTEN_FDS_START = 3;

/**
 * The socket of systemd's socket activation, as exporter-toolkit takes it: LISTEN_PID must be
 * this process and LISTEN_FDS at least 1; the first socket (fd 3) is served.
 */
function systemdListenFd(): { fd: number } {
  const pid = process.env['LISTEN_PID'];
  const fds = Number(process.env['LISTEN_FDS'] ?? '0');
  if (pid !== String(process.pid) || !(fds >= 1)) {
    throw new Error('--web.systemd-socket: no socket activation file descriptors found (LISTEN_PID and LISTEN_FDS are not set for this process)');
  }
  return { fd: SD_LISTEN_FDS_START };
}
