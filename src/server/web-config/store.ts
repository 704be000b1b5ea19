/**
 * The --web.config.file in force. exporter-toolkit re-reads the file on every request and the
 * certificate on every handshake, so a rotated password or certificate applies without a
 * restart; here every request and every new connection asks `refresh()`, which stats the file
 * and the certificate files it names and reads them again only when one changed. Unlike
 * exporter-toolkit, which answers 500 (or fails handshakes) while the file is broken, a broken
 * new file keeps the last good config in force and is logged once, with the reason.
 *
 * Whether the exporter serves TLS at all is decided at start, as exporter-toolkit does; a new
 * file that would switch between TLS and plain HTTP is refused until a restart.
 */
import { stat } from 'node:fs/promises';
import type { HostFs } from '../../hostfs/host-fs.js';
import { ConfigError } from '../../config/error.js';
import { parseWebConfigText, readConfigText } from '../../config/file.js';
import type { WebConfigFile } from '../../config/web-schema.js';
import type { Logger } from '../../lib/log.js';
import { type TlsSettings, tlsFiles, tlsRequested, tlsSettings } from './tls.js';

/** Certificates and keys larger than this are refused (a bundle of a few hundred certificates fits). */
const MAX_TLS_FILE_BYTES = 1024 * 1024;
/** A check for changes taking longer than this (a hung mount) lets the request go on with the config in force. */
const REFRESH_BOUND_MS = 1000;

export interface RateLimit {
  readonly intervalMs: number;
  readonly burst: number;
}

/** The web config as the server applies it. */
export interface WebSettings {
  /** user → bcrypt hash; empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
  readonly headers: readonly (readonly [string, string])[];
  /** Undefined: plain HTTP. */
  readonly tls: TlsSettings | undefined;
  readonly rateLimit: RateLimit | undefined;
}

/** The files whose change means the config must be read again: the web config and the TLS files it names. */
function watchedFiles(file: string, parsed: WebConfigFile): string[] {
  const tls = parsed.tls_server_config;
  if (!tlsRequested(tls)) return [file];
  return [file, ...Object.values(tlsFiles(tls, file)).filter((f): f is string => f !== undefined)];
}

/** Identity, size and times of each file, so that a replaced (Kubernetes secret) or rewritten file shows. */
async function signatureOf(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (f) => {
      try {
        const s = await stat(f, { bigint: true });
        return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
      } catch (err) {
        return `missing:${(err as NodeJS.ErrnoException).code ?? ''}`;
      }
    }),
  );
  return parts.join('|');
}

async function settingsFrom(parsed: WebConfigFile, file: string, host: HostFs): Promise<WebSettings> {
  const read = async (f: string) => (await host.readUserFile(f, { maxBytes: MAX_TLS_FILE_BYTES, signal: AbortSignal.timeout(10_000) })).bytes;
  const tls = tlsRequested(parsed.tls_server_config) ? await tlsSettings(parsed.tls_server_config, file, read) : undefined;
  const limit = parsed.rate_limit;
  return {
    users: new Map(Object.entries(parsed.basic_auth_users ?? {})),
    headers: Object.entries(parsed.http_server_config?.headers ?? {}),
    tls,
    rateLimit: limit && limit.interval > 0 ? { intervalMs: limit.interval, burst: limit.burst } : undefined,
  };
}

export class WebConfigStore {
  private refreshing: Promise<WebSettings> | undefined;
  private statting: Promise<string> | undefined;

  private constructor(
    readonly file: string,
    private readonly host: HostFs,
    private readonly log: Logger,
    private settings: WebSettings,
    private watched: readonly string[],
    /** Of the files as last read, good or not: an unchanged broken file is not read (nor logged) again. */
    private signature: string,
  ) {}

  /** Reads and checks the file; throws ConfigError (the exporter exits 2) when it cannot be used. */
  static async open(file: string, host: HostFs, log: Logger): Promise<WebConfigStore> {
    const parsed = await parseWebConfigText(await readConfigText(file, host), file);
    const watched = watchedFiles(file, parsed);
    const signature = await signatureOf(watched);
    return new WebConfigStore(file, host, log, await settingsFrom(parsed, file, host), watched, signature);
  }

  get current(): WebSettings {
    return this.settings;
  }

  /**
   * The config in force after reading the files again if they changed; never rejects. Checking
   * for a change is bounded (REFRESH_BOUND_MS); a change found is applied before this resolves,
   * so the request that finds it is already answered with it.
   */
  refresh(): Promise<WebSettings> {
    this.refreshing ??= this.refreshNow().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * The files' signature, or undefined when it did not come within the bound. A check still
   * running (a hung mount) is waited for again rather than repeated, so stats that never return
   * cannot pile up in the thread pool that every file read shares.
   */
  private async currentSignature(): Promise<string | undefined> {
    this.statting ??= signatureOf(this.watched).finally(() => (this.statting = undefined));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), REFRESH_BOUND_MS)));
    return Promise.race([this.statting, bound]).finally(() => clearTimeout(timer));
  }

  private async refreshNow(): Promise<WebSettings> {
    const signature = await this.currentSignature();
    if (signature === undefined || signature === this.signature) return this.settings;
    this.signature = signature;
    try {
      const parsed = await parseWebConfigText(await readConfigText(this.file, this.host), this.file);
      const next = await settingsFrom(parsed, this.file, this.host);
      if ((next.tls === undefined) !== (this.settings.tls === undefined)) {
        throw new ConfigError(`${this.file}: switching between ${this.settings.tls ? 'TLS and plain HTTP' : 'plain HTTP and TLS'} needs a restart`);
      }
      this.settings = next;
      const watched = watchedFiles(this.file, parsed);
      if (watched.join('\0') !== this.watched.join('\0')) {
        // Other TLS files than before: later changes are compared with their state now. (With the
        // same files, the signature taken before reading them stays, so a write in between shows.)
        this.watched = watched;
        this.signature = (await this.currentSignature()) ?? signature;
      }
      this.log.info('web config reloaded', { file: this.file });
    } catch (err) {
      this.log.error('web config file changed but cannot be used; keeping the last good one', { file: this.file, err });
    }
    return this.settings;
  }
}
