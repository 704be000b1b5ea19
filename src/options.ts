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
  SYSTEMD_SOCKET_FLAG,
  TELEMETRY_PATH_FLAG,
  WEB_CONFIG_FILE_FLAG,
} from './cli/core-flags.js';
import { NODE_EXPORTER_BOOL_FLAGS, NODE_EXPORTER_VALUE_FLAGS } from './cli/node-exporter-flags.js';
import { defineFlag, type Flag, type FlagSpec, FlagError, type ParsedFlags } from './cli/flags.js';
import { parseListenAddress, type ListenAddress } from './cli/listen-address.js';
import type { LogFormat, LogLevel } from './lib/log.js';

/** A collector's --[no-]collector.<name> flag. */
export function collectorFlag(f: CollectorFactory): Flag<boolean> {
  return defineFlag({
    name: `collector.${f.name}`,
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
  /** Listen on the socket systemd passes (fd 3), as node_exporter's --web.systemd-socket. */
  readonly systemdSocket: boolean;
  readonly telemetryPath: string;
  readonly disableExporterMetrics: boolean;
  readonly maxRequests: number;
  readonly collectorTimeoutMs: number;
  readonly configFile: string | undefined;
  /** exporter-toolkit's web config (TLS, basic auth); undefined: plain HTTP, no authentication. */
  readonly webConfigFile: string | undefined;
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
    systemdSocket: flags.get(SYSTEMD_SOCKET_FLAG),
    telemetryPath,
    disableExporterMetrics: flags.get(DISABLE_EXPORTER_METRICS_FLAG),
    maxRequests: flags.get(MAX_REQUESTS_FLAG),
    collectorTimeoutMs,
    configFile: flags.get(CONFIG_FILE_FLAG),
    // An empty value means none, as in node_exporter.
    webConfigFile: flags.get(WEB_CONFIG_FILE_FLAG) || undefined,
    procfs: flags.get(PROCFS_FLAG),
    sysfs: flags.get(SYSFS_FLAG),
    rootfs: flags.get(ROOTFS_FLAG),
    logLevel: flags.get(LOG_LEVEL_FLAG),
    logFormat: flags.get(LOG_FORMAT_FLAG),
    enabledCollectors: enabledCollectors(factories, flags),
  };
}

/**
 * node_exporter's flags this exporter does not declare (src/cli/node-exporter-flags.ts), as
 * hidden specs, so that a command line written for node_exporter starts it: they are accepted
 * with any value and ignored, and startup warns about each one given (ignoredFlagsGiven).
 */
export function withNodeExporterFlags(specs: readonly FlagSpec[]): FlagSpec[] {
  const declared = new Set(specs.map((s) => s.name));
  const help = 'Accepted for node_exporter compatibility and ignored: this exporter does not implement it.';
  const compat = (name: string, kind: 'bool' | 'string'): FlagSpec[] =>
    declared.has(name) ? [] : [{ name, kind, help, hidden: true }];
  return [
    ...specs,
    ...NODE_EXPORTER_BOOL_FLAGS.flatMap((name) => compat(name, 'bool')),
    ...NODE_EXPORTER_VALUE_FLAGS.flatMap((name) => compat(name, 'string')),
  ];
}

/** The ignored node_exporter flags the command line gave, and the collectors it asked for that do not exist here. */
export function ignoredFlagsGiven(specs: readonly FlagSpec[], flags: ParsedFlags): { flags: string[]; absentCollectors: string[] } {
  const given = specs.filter((s) => s.hidden && flags.isExplicit(s));
  const absentCollectors = given
    .filter((s) => s.kind === 'bool' && /^collector\.[a-z0-9_]+$/.test(s.name) && flags.get(s as Flag<boolean>))
    .map((s) => s.name.slice('collector.'.length));
  return { flags: given.map((s) => `--${s.name}`), absentCollectors };
}
