/**
 * HTTP basic authentication against bcrypt hashes, as exporter-toolkit does it, without its cost
 * on the scrape path:
 * - bcrypt runs in a worker thread, so a compare (~100 ms at cost 10) never delays a scrape in
 *   flight on the event loop;
 * - verified (user, hash, password) triples are cached, so a Prometheus scraping every second
 *   pays bcrypt once; the cache key is a SHA-256 digest, so no password is kept in memory;
 * - concurrent requests with the same credentials share one compare (50 scrapers arriving at
 *   once cost one bcrypt, not fifty in a row);
 * - an unknown user is compared against a configured user's hash and then refused, so the answer
 *   takes as long as for a known user and timing does not reveal which users exist.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/log.js';
import type { CompareReply, CompareRequest } from './bcrypt-worker.js';

/** Verified triples kept; exporter-toolkit keeps 100 too. */
const CACHE_SIZE = 100;

/** The user and password of an Authorization: Basic header, as Go's Request.BasicAuth reads it. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6);
  // Go's base64.StdEncoding is strict: padding required, no stray characters.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) return undefined;
  // UTF-8, as the YAML file names users and as htpasswd hashed the password's bytes.
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Compares a password with a bcrypt hash; undefined when the compare could not be made. */
export type BcryptCompare = (hash: string, password: string) => Promise<boolean | undefined>;

export class BasicAuth {
  private readonly cache = new Map<string, boolean>();
  private readonly inFlight = new Map<string, Promise<boolean | undefined>>();
  private worker: Worker | undefined;
  /** Compares sent to the worker; undefined answers one that could not be made. */
  private readonly waiting = new Map<number, (match: boolean | undefined) => void>();
  private nextId = 1;

  private readonly compare: BcryptCompare;

  /** `compare` replaces the worker thread (tests count the compares made). */
  constructor(
    private readonly log: Logger,
    compare?: BcryptCompare,
  ) {
    this.compare = compare ?? ((hash, password) => this.compareInWorker(hash, password));
  }

  /** Whether `header` carries the password of one of `users` (user → bcrypt hash). */
  async allows(users: ReadonlyMap<string, string>, header: string | undefined): Promise<boolean> {
    const given = basicCredentials(header);
    if (!given) return false;
    const known = users.get(given.user);
    const hash = known ?? users.values().next().value;
    if (hash === undefined) return false;
    const key = createHash('sha256').update(JSON.stringify([given.user, hash, given.password])).digest('base64');
    let match = this.cache.get(key);
    if (match === undefined) {
      let pending = this.inFlight.get(key);
      if (!pending) {
        const started = performance.now();
        pending = this.compare(hash, given.password).finally(() => {
          this.inFlight.delete(key);
          this.log.debug('checked a password with bcrypt', { user: given.user, ms: Math.round(performance.now() - started) });
        });
        this.inFlight.set(key, pending);
      }
      const answer = await pending;
      // A compare the worker could not make is refused, and not remembered.
      if (answer === undefined) return false;
      match = answer;
      this.remember(key, match);
    }
    return match && known !== undefined;
  }

  /** Stops the worker; requests still waiting for a compare are refused. */
  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
    this.failWaiting();
  }

  private remember(key: string, match: boolean): void {
    if (this.cache.has(key)) return;
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, match);
  }

  private compareInWorker(hash: string, password: string): Promise<boolean | undefined> {
    const worker = this.startedWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, hash, password } satisfies CompareRequest);
    });
  }

  private startedWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./bcrypt-worker.js', import.meta.url), { execArgv: [] });
    // Idle between compares; it must not keep the process alive.
    worker.unref();
    worker.on('message', ({ id, match }: CompareReply) => {
      this.waiting.get(id)?.(match);
      this.waiting.delete(id);
    });
    const gone = (why: string) => {
      if (this.worker !== worker) return;
      this.log.error('the bcrypt worker stopped; requests waiting for a password check are refused', { err: why });
      this.worker = undefined;
      this.failWaiting();
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    this.worker = worker;
    return worker;
  }

  private failWaiting(): void {
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
  }
}
