/** The exporter's flags: node_exporter's names and defaults, plus one per collector. */
import type { CollectorFactory } from './collector/collector.js';
import { type FlagSpec, FlagError, type ParsedFlags } from './flags.js';
import { parseListenAddress, type ListenAddress } from './listen-address.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.js';

export const coreFlags: readonly FlagSpec[] = [
  { name: 'web.listen-address', kind: 'string', default: ':9100', help: 'Address on which to expose metrics and web interface.' },
  { name: 'web.telemetry-path', kind: 'string', default: '/metrics', help: 'Path under which to expose metrics.' },
  { name: 'web.disable-exporter-metrics', kind: 'bool', help: 'Exclude metrics about the exporter itself (promhttp_*, process_*, nodejs_*).' },
  { name: 'web.max-requests', kind: 'int', default: '40', min: 0, help: 'Maximum number of parallel scrape requests. Use 0 to disable.' },
  {
    name: 'scrape.collector-timeout',
    kind: 'duration',
    default: '10s',
    help: 'Deadline for each collector within a scrape; Prometheus\' X-Prometheus-Scrape-Timeout-Seconds less 0.5s applies when shorter.',
  },
  {
    name: 'config.file',
    kind: 'string',
    help: 'YAML file with process groups (process_names), uptime checks (checks) and /probe modules (modules).',
  },
  { name: 'path.procfs', kind: 'string', default: '/proc', help: 'procfs mountpoint.' },
  { name: 'path.sysfs', kind: 'string', default: '/sys', help: 'sysfs mountpoint.' },
  { name: 'path.rootfs', kind: 'string', default: '/', help: 'rootfs mountpoint.' },
  { name: 'collector.disable-defaults', kind: 'bool', help: 'Set all collectors to disabled by default.' },
  { name: 'log.level', kind: 'enum', choices: LOG_LEVELS, default: 'info', help: 'Only log messages with the given severity or above.' },
  { name: 'log.format', kind: 'enum', choices: LOG_FORMATS, default: 'logfmt', help: 'Output format of log messages.' },
];

export function collectorFlagName(name: string): string {
  return `collector.${name}`;
}

export function allFlags(factories: readonly CollectorFactory[]): FlagSpec[] {
  const specs: FlagSpec[] = [...coreFlags];
  for (const f of factories) {
    specs.push({
      name: collectorFlagName(f.name),
      kind: 'bool',
      default: String(f.defaultEnabled),
      help: `Enable the ${f.name} collector (default: ${f.defaultEnabled ? 'enabled' : 'disabled'}).`,
    });
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
  const disableDefaults = flags.bool('collector.disable-defaults');
  return factories
    .filter((f) => {
      const flag = collectorFlagName(f.name);
      if (disableDefaults && !flags.explicit.has(flag)) return false;
      return flags.bool(flag);
    })
    .map((f) => f.name);
}

export function toConfig(factories: readonly CollectorFactory[], flags: ParsedFlags): ExporterConfig {
  let listen: ListenAddress;
  try {
    listen = parseListenAddress(flags.string('web.listen-address') as string);
  } catch (err) {
    throw new FlagError(`invalid value for flag --web.listen-address: ${(err as Error).message}`);
  }
  const telemetryPath = flags.string('web.telemetry-path') as string;
  if (!telemetryPath.startsWith('/')) {
    throw new FlagError(`invalid value for flag --web.telemetry-path: must start with "/", got ${JSON.stringify(telemetryPath)}`);
  }
  const collectorTimeoutMs = flags.number('scrape.collector-timeout') as number;
  if (collectorTimeoutMs <= 0) throw new FlagError('invalid value for flag --scrape.collector-timeout: must be above 0');
  return {
    listen,
    telemetryPath,
    disableExporterMetrics: flags.bool('web.disable-exporter-metrics'),
    maxRequests: flags.number('web.max-requests') as number,
    collectorTimeoutMs,
    configFile: flags.string('config.file'),
    procfs: flags.string('path.procfs') as string,
    sysfs: flags.string('path.sysfs') as string,
    rootfs: flags.string('path.rootfs') as string,
    logLevel: flags.string('log.level') as LogLevel,
    logFormat: flags.string('log.format') as LogFormat,
    enabledCollectors: enabledCollectors(factories, flags),
  };
}
