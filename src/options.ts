/** The exporter's flags: node_exporter's names and defaults, plus one per collector. */
import type { CollectorFactory } from './collector/collector.js';
import {
  COLLECTOR_TIMEOUT_FLAG,
  CONFIG_FILE_FLAG,
  coreFlags,
  DISABLE_DEFAULTS_FLAG,
  DISABLE_EXPORTER_METRICS_FLAG,
  LISTEN_ADDRESS_FLAG,
  LOG_FORMAT_FLAG,
  LOG_LEVEL_FLAG,
  MAX_REQUESTS_FLAG,
  PROCFS_FLAG,
  ROOTFS_FLAG,
  SYSFS_FLAG,
  TELEMETRY_PATH_FLAG,
} from './cli/core-flags.js';
import { defineFlag, type Flag, type FlagSpec, FlagError, type ParsedFlags } from './cli/flags.js';
import { parseListenAddress, type ListenAddress } from './cli/listen-address.js';
import type { LogFormat, LogLevel } from './lib/log.js';

export function collectorFlagName(name: string): string {
  return `collector.${name}`;
}

/** A collector's --[no-]collector.<name> flag. */
export function collectorFlag(f: CollectorFactory): Flag<boolean> {
  return defineFlag({
    name: collectorFlagName(f.name),
    kind: 'bool',
    default: String(f.defaultEnabled),
    help: `Enable the ${f.name} collector (default: ${f.defaultEnabled ? 'enabled' : 'disabled'}).`,
  });
}

export function allFlags(factories: readonly CollectorFactory[]): FlagSpec[] {
  const specs: FlagSpec[] = [...coreFlags];
  for (const f of factories) {
    specs.push(collectorFlag(f));
    specs.push(...(f.flags ?? []));
  }
  return specs;
}

export interface ExporterConfig {
  readonly listen: ListenAddress;
  readonly telemetryPath: string;
  readonly disableExporterMetrics: boolean;
  readonly maxRequests: number;
  readonly collectorTimeoutMs: number;
  readonly configFile: string | undefined;
  readonly procfs: string;
  readonly sysfs: string;
  readonly rootfs: string;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Names of the collectors to run, in registry order. */
  readonly enabledCollectors: readonly string[];
}

/** Collectors to run, with node_exporter's --collector.disable-defaults semantics. */
export function enabledCollectors(factories: readonly CollectorFactory[], flags: ParsedFlags): string[] {
  const disableDefaults = flags.get(DISABLE_DEFAULTS_FLAG);
  return factories
    .filter((f) => {
      const flag = collectorFlag(f);
      if (disableDefaults && !flags.isExplicit(flag)) return false;
      return flags.get(flag);
    })
    .map((f) => f.name);
}

export function toConfig(factories: readonly CollectorFactory[], flags: ParsedFlags): ExporterConfig {
  let listen: ListenAddress;
  try {
    listen = parseListenAddress(flags.get(LISTEN_ADDRESS_FLAG));
  } catch (err) {
    throw new FlagError(`invalid value for flag --web.listen-address: ${(err as Error).message}`);
  }
  const telemetryPath = flags.get(TELEMETRY_PATH_FLAG);
  if (!telemetryPath.startsWith('/')) {
    throw new FlagError(`invalid value for flag --web.telemetry-path: must start with "/", got ${JSON.stringify(telemetryPath)}`);
  }
  const collectorTimeoutMs = flags.get(COLLECTOR_TIMEOUT_FLAG);
  if (collectorTimeoutMs <= 0) throw new FlagError('invalid value for flag --scrape.collector-timeout: must be above 0');
  return {
    listen,
    telemetryPath,
    disableExporterMetrics: flags.get(DISABLE_EXPORTER_METRICS_FLAG),
    maxRequests: flags.get(MAX_REQUESTS_FLAG),
    collectorTimeoutMs,
    configFile: flags.get(CONFIG_FILE_FLAG),
    procfs: flags.get(PROCFS_FLAG),
    sysfs: flags.get(SYSFS_FLAG),
    rootfs: flags.get(ROOTFS_FLAG),
    logLevel: flags.get(LOG_LEVEL_FLAG),
    logFormat: flags.get(LOG_FORMAT_FLAG),
    enabledCollectors: enabledCollectors(factories, flags),
  };
}
