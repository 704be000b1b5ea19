/**
 * The config file currently in force. A reload (SIGHUP or POST /-/reload) validates the new
 * file completely before swapping it in; a broken file leaves the running config untouched.
 * A file whose bytes did not change is not parsed again and notifies nobody, so reloading an
 * unchanged file, however often, changes nothing. Reloads run one at a time: requests that
 * arrive while one runs share a single next reload, so a flood of them costs at most two parses.
 */
import { createHash } from 'node:crypto';
import type { HostFs } from '../hostfs/host-fs.js';
import { ConfigError } from './error.js';
import { parseConfigText, readConfigText } from './file.js';
import type { ExporterFileConfig } from './schema.js';

/** What no file means. */
const EMPTY_CONFIG: ExporterFileConfig = { process_names: [], checks: [], modules: {} };

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export type ConfigListener = (config: ExporterFileConfig, previous: ExporterFileConfig) => void;

export class ConfigStore {
  private listeners: ConfigListener[] = [];
  /** The reload running now (settled or not), which the next one waits for. */
  private running: Promise<unknown> = Promise.resolve();
  /** The reload waiting for the running one; later requests join it. */
  private queued: Promise<ExporterFileConfig> | undefined;

  private constructor(
    /** Undefined when no --config.file was given: the empty config. */
    readonly file: string | undefined,
    private config: ExporterFileConfig,
    /** Of the text the running config was parsed from. */
    private digest: string | undefined,
    /** Reads the file (on reloads too); undefined with no file. */
    private readonly host?: HostFs,
  ) {}

  static async open(file: string | undefined, host: HostFs): Promise<ConfigStore> {
    if (file === undefined) return new ConfigStore(undefined, EMPTY_CONFIG, undefined);
    const text = await readConfigText(file, host);
    return new ConfigStore(file, await parseConfigText(text, file), digestOf(text), host);
  }

  /** A store holding a fixed config (the empty one by default), for tests and embedding. */
  static of(config: ExporterFileConfig = EMPTY_CONFIG): ConfigStore {
    return new ConfigStore(undefined, config, undefined);
  }

  get current(): ExporterFileConfig {
    return this.config;
  }

  /** Calls `listener` after every successful reload that changed the file. */
  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Re-reads the file; throws ConfigError (keeping the old config) when it is invalid. */
  reload(): Promise<ExporterFileConfig> {
    if (this.queued) return this.queued;
    const after = this.running;
    const next = (async () => {
      await after;
      // Started: from now on a new request must read the file again, after this one.
      this.queued = undefined;
      return this.reloadNow();
    })();
    this.queued = next;
    this.running = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<ExporterFileConfig> {
    const { file, host } = this;
    if (file === undefined || host === undefined) throw new ConfigError('no --config.file was given, so there is nothing to reload');
    const text = await readConfigText(file, host);
    const digest = digestOf(text);
    if (digest === this.digest) return this.config;
    const next = await parseConfigText(text, file);
    const previous = this.config;
    this.config = next;
    this.digest = digest;
    for (const listener of this.listeners) listener(next, previous);
    return next;
  }
}
