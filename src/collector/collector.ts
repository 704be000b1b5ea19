/**
 * The contract every collector follows (node_exporter's collector.Collector, reshaped for
 * async I/O): a factory registered with a name and a default, and an `update` that reads its
 * files and adds series to a sink. Parsing lives in src/procfs and src/sysfs, not here.
 */
import type { FlagSpec, ParsedFlags } from '../flags.js';
import type { Logger } from '../log.js';
import type { MetricSink } from './sink.js';
import type { ConfigStore } from '../config/store.js';
import type { HostPaths } from '../paths.js';

export interface CollectorContext {
  readonly paths: HostPaths;
  readonly flags: ParsedFlags;
  readonly log: Logger;
  /** The --config.file contents (empty when none), with reload notifications. */
  readonly config: ConfigStore;
}

export interface Collector {
  /** Reads and adds series; rejects on failure. Series added before a failure are kept. */
  update(sink: MetricSink, signal: AbortSignal): Promise<void>;
  /** Stops background work (timers, workers) at shutdown. */
  close?(): Promise<void> | void;
}

export interface CollectorFactory {
  readonly name: string;
  readonly defaultEnabled: boolean;
  /** Flags the collector owns (e.g. `collector.vmstat.fields`), listed in --help. */
  readonly flags?: readonly FlagSpec[];
  /** Builds the collector once at start; throws for unusable configuration. */
  create(ctx: CollectorContext): Collector;
}

/**
 * node_exporter's ErrNoData: the feature or file does not exist here. The scrape reports
 * success 0 and logs it at debug level only.
 */
export class NoDataError extends Error {
  override readonly name = 'NoDataError';
  constructor(message = 'collector returned no data') {
    super(message);
  }
}

/** A process or thread that exited between listing /proc and reading its files. */
export function isVanishedProcess(err: unknown): boolean {
  return isNotFound(err) || (err as NodeJS.ErrnoException | undefined)?.code === 'ESRCH';
}

/** EACCES or EPERM: a file we may not read (another user's, or one a security module guards). */
export function isPermissionDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
