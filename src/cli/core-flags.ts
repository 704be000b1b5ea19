/**
 * The exporter's own flags, node_exporter's names and defaults: declared here, below every
 * layer, so that a collector that needs one (the filesystem collector's deadline) reads it
 * typed like its own.
 */
import { LOG_FORMATS, LOG_LEVELS } from '../lib/log.js';
import { defineFlag } from './flags.js';

export const LISTEN_ADDRESS_FLAG = defineFlag({ name: 'web.listen-address', kind: 'string', default: ':9100', help: 'Address on which to expose metrics and web interface.' });
export const WEB_CONFIG_FILE_FLAG = defineFlag({
  name: 'web.config.file',
  kind: 'string',
  help: "Path to configuration file that can enable TLS or authentication (exporter-toolkit's format). See: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
});
export const TELEMETRY_PATH_FLAG = defineFlag({ name: 'web.telemetry-path', kind: 'string', default: '/metrics', help: 'Path under which to expose metrics.' });
export const DISABLE_EXPORTER_METRICS_FLAG = defineFlag({
  name: 'web.disable-exporter-metrics',
  kind: 'bool',
  help: 'Exclude metrics about the exporter itself (promhttp_*, process_*, nodejs_*).',
});
export const MAX_REQUESTS_FLAG = defineFlag({ name: 'web.max-requests', kind: 'int', default: '40', min: 0, help: 'Maximum number of parallel scrape requests. Use 0 to disable.' });
export const COLLECTOR_TIMEOUT_FLAG = defineFlag({
  name: 'scrape.collector-timeout',
  kind: 'duration',
  default: '10s',
  help: 'Deadline for each collector within a scrape; Prometheus\' X-Prometheus-Scrape-Timeout-Seconds less 0.5s applies when shorter.',
});
export const CONFIG_FILE_FLAG = defineFlag({
  name: 'config.file',
  kind: 'string',
  help: 'YAML file with process groups (process_names), uptime checks (checks) and /probe modules (modules).',
});
export const PROCFS_FLAG = defineFlag({ name: 'path.procfs', kind: 'string', default: '/proc', help: 'procfs mountpoint.' });
export const SYSFS_FLAG = defineFlag({ name: 'path.sysfs', kind: 'string', default: '/sys', help: 'sysfs mountpoint.' });
export const ROOTFS_FLAG = defineFlag({ name: 'path.rootfs', kind: 'string', default: '/', help: 'rootfs mountpoint.' });
export const DISABLE_DEFAULTS_FLAG = defineFlag({ name: 'collector.disable-defaults', kind: 'bool', help: 'Set all collectors to disabled by default.' });
export const LOG_LEVEL_FLAG = defineFlag({ name: 'log.level', kind: 'enum', choices: LOG_LEVELS, default: 'info', help: 'Only log messages with the given severity or above.' });
export const LOG_FORMAT_FLAG = defineFlag({ name: 'log.format', kind: 'enum', choices: LOG_FORMATS, default: 'logfmt', help: 'Output format of log messages.' });

export const SYSTEMD_SOCKET_FLAG = defineFlag({
  name: 'web.systemd-socket',
  kind: 'bool',
  help: 'Use systemd socket activation listeners instead of port listeners (Linux only).',
});
export const GOMAXPROCS_FLAG = defineFlag({
  name: 'runtime.gomaxprocs',
  kind: 'int',
  default: '1',
  min: 0,
  help: "Accepted for node_exporter compatibility and ignored: Node.js runs this exporter's JavaScript on one thread.",
});

/** In --help order. */
export const coreFlags = [
  LISTEN_ADDRESS_FLAG,
  SYSTEMD_SOCKET_FLAG,
  WEB_CONFIG_FILE_FLAG,
  TELEMETRY_PATH_FLAG,
  DISABLE_EXPORTER_METRICS_FLAG,
  MAX_REQUESTS_FLAG,
  COLLECTOR_TIMEOUT_FLAG,
  CONFIG_FILE_FLAG,
  PROCFS_FLAG,
  SYSFS_FLAG,
  ROOTFS_FLAG,
  DISABLE_DEFAULTS_FLAG,
  LOG_LEVEL_FLAG,
  LOG_FORMAT_FLAG,
  GOMAXPROCS_FLAG,
] as const;
