/**
 * The contract every collector follows (node_exporter's collector.Collector, reshaped for
 * async I/O): a factory registered with a name and a default, and an `update` that reads its
 * files and adds series to a sink. Parsing lives in src/procfs and src/sysfs, not here.
 */
import type { FlagSpec, ParsedFlags } from '../cli/flags.js';
import type { Logger } from '../lib/log.js';
import type { MetricSink } from './sink.js';
import type { ConfigStore } from '../config/store.js';
import type { HostFs } from '../hostfs/host-fs.js';

export interface CollectorContext {
  /** Every read of the host goes through it (its roots, held fds and I/O gate). */
  readonly host: HostFs;
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
  /** Builds the collector once at start; throws FlagError for unusable configuration (anything else is a bug). */
  create(ctx: CollectorContext): Collector;
}
