/** Builds and starts the exporter from parsed flags; main.ts turns failures into exit codes. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExporterConfig, toConfig } from './cli.js';
import type { Collector, CollectorFactory } from './collector/collector.js';
import { ConfigError } from './config/error.js';
import { ConfigStore } from './config/store.js';
import { NodeCollector } from './collector/node-collector.js';
import { FlagError, type ParsedFlags } from './flags.js';
import { formatListenAddress } from './listen-address.js';
import { createLogger, type Logger } from './log.js';
import { setKernelFsRoots } from './io.js';
import { HostPaths } from './paths.js';
import { SelfMetrics } from './self-metrics.js';
import { createApp, type RouteInstaller } from './server.js';

export interface RunningExporter {
  readonly config: ExporterConfig;
  readonly fileConfig: ConfigStore;
  readonly server: http.Server;
  readonly port: number;
  /** Re-reads --config.file; the old config stays when the new one is invalid. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** Extra HTTP routes (such as /probe), given the running config. */
export type RoutesFactory = (config: ConfigStore, log: Logger) => RouteInstaller;

/** Instantiates the enabled collectors; a factory that rejects its configuration is a flag error. */
export function createCollectors(
  factories: readonly CollectorFactory[],
  config: ExporterConfig,
  flags: ParsedFlags,
  log: Logger,
  fileConfig: ConfigStore = ConfigStore.of(),
): Map<string, Collector> {
  const paths = new HostPaths(config.procfs, config.sysfs, config.rootfs);
  setKernelFsRoots(config.procfs, config.sysfs);
  const collectors = new Map<string, Collector>();
  for (const f of factories) {
    if (!config.enabledCollectors.includes(f.name)) continue;
    try {
      collectors.set(f.name, f.create({ paths, flags, log: log.with({ collector: f.name }), config: fileConfig }));
    } catch (err) {
      throw new FlagError(`collector ${f.name}: ${(err as Error).message}`);
    }
  }
  return collectors;
}

export async function startExporter(
  factories: readonly CollectorFactory[],
  flags: ParsedFlags,
  version: string,
  log?: Logger,
  routes: readonly RoutesFactory[] = [],
): Promise<RunningExporter> {
  const config = toConfig(factories, flags);
  const logger = log ?? createLogger(config.logLevel, config.logFormat);
  let fileConfig: ConfigStore;
  try {
    fileConfig = await ConfigStore.open(config.configFile);
  } catch (err) {
    if (err instanceof ConfigError) throw new FlagError(`invalid config: ${err.message}`);
    throw err;
  }
  const collectors = createCollectors(factories, config, flags, logger, fileConfig);
  const reload = async (): Promise<void> => {
    try {
      await fileConfig.reload();
      logger.info('config reloaded', { file: fileConfig.file });
    } catch (err) {
      logger.error('config reload failed; keeping the running config', { err });
      throw err;
    }
  };
  logger.info('enabled collectors', { collectors: [...collectors.keys()].join(',') });
  const app = createApp({
    version,
    telemetryPath: config.telemetryPath,
    maxRequests: config.maxRequests,
    collectorTimeoutMs: config.collectorTimeoutMs,
    nodeCollector: new NodeCollector(collectors, logger),
    knownCollectors: factories.map((f) => f.name),
    selfMetrics: config.disableExporterMetrics ? undefined : new SelfMetrics(),
    log: logger,
    reload,
    routes: routes.map((r) => r(fileConfig, logger)),
  });
  const server = http.createServer(app);
  // Prometheus scrapes every 15s by default; keep its connection instead of reopening it.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('Listening on', { address: formatListenAddress(config.listen.host, port) });
  return {
    config,
    fileConfig,
    server,
    port,
    reload,
    close: async () => {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 5000).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await Promise.allSettled([...collectors.values()].map(async (c) => c.close?.()));
    },
  };
}
