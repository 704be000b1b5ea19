/**
 * The config file currently in force. A reload (SIGHUP or POST /-/reload) validates the new
 * file completely before swapping it in; a broken file leaves the running config untouched.
 */
import { ConfigError } from './error.js';
import type { ExporterFileConfig } from './schema.js';

/**
 * What no file means. The YAML parser and the schema validator are loaded only for a real
 * file, so an exporter run without --config.file does not carry them (about 10 MB).
 */
const EMPTY_CONFIG: ExporterFileConfig = { process_names: [], checks: [], modules: {} };

async function load(file: string): Promise<ExporterFileConfig> {
  const { loadConfigFile } = await import('./load.js');
  return loadConfigFile(file);
}

export type ConfigListener = (config: ExporterFileConfig, previous: ExporterFileConfig) => void;

export class ConfigStore {
  private listeners: ConfigListener[] = [];
  private lastReload = { ok: true, at: Date.now() };

  private constructor(
    /** Undefined when no --config.file was given: the empty config. */
    readonly file: string | undefined,
    private config: ExporterFileConfig,
  ) {}

  static async open(file: string | undefined): Promise<ConfigStore> {
    return new ConfigStore(file, file === undefined ? EMPTY_CONFIG : await load(file));
  }

  /** A store holding a fixed config (the empty one by default), for tests and embedding. */
  static of(config: ExporterFileConfig = EMPTY_CONFIG): ConfigStore {
    return new ConfigStore(undefined, config);
  }

  get current(): ExporterFileConfig {
    return this.config;
  }

  get lastReloadSuccessful(): boolean {
    return this.lastReload.ok;
  }

  get lastReloadAt(): number {
    return this.lastReload.at;
  }

  /** Calls `listener` after every successful reload. */
  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Re-reads the file; throws ConfigError (keeping the old config) when it is invalid. */
  async reload(): Promise<ExporterFileConfig> {
    if (this.file === undefined) throw new ConfigError('no --config.file was given, so there is nothing to reload');
    let next: ExporterFileConfig;
    try {
      next = await load(this.file);
    } catch (err) {
      this.lastReload = { ok: false, at: Date.now() };
      throw err;
    }
    const previous = this.config;
    this.config = next;
    this.lastReload = { ok: true, at: Date.now() };
    for (const listener of this.listeners) listener(next, previous);
    return next;
  }
}
