#!/usr/bin/env node
// @ts-check
/**
 * loadtest/ab.sh in Node, for machines without ApacheBench: the same parameters, bounds, target
 * rule and summary. Needs only Node 20 (no npm install).
 *
 *   node loadtest/load.mjs [-c CONCURRENCY] [-t SECONDS] [-n MAX_REQUESTS] [-k] [URL]
 *
 * Defaults: -c 4 -t 10 -n 100000, URL http://127.0.0.1:8080/cpu?ms=20. The run ends at whichever
 * bound comes first. Targets: loopback (127.0.0.0/8, localhost, [::1]) or a Compose service of
 * this project. As with ab, each request opens a new connection unless -k is given.
 */
import http from 'node:http';
import https from 'node:https';
import { pathToFileURL } from 'node:url';

export const LIMITS = Object.freeze({ concurrency: 256, seconds: 300, requests: 1_000_000 });
export const COMPOSE_SERVICES = Object.freeze(['server', 'sidecar', 'prometheus', 'alertmanager', 'grafana']);
const PER_REQUEST_TIMEOUT_MS = 10_000;

/**
 * True for the hosts a load test may target: loopback, or one of this project's Compose services.
 * @param {string} hostname
 */
export function isAllowedTarget(hostname) {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host === '::1' || COMPOSE_SERVICES.includes(host)) return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * @param {readonly string[]} argv
 * @returns {{ concurrency: number, seconds: number, requests: number, keepAlive: boolean, url: URL }}
 */
export function parseArgs(argv) {
  const opts = { concurrency: 4, seconds: 10, requests: 100_000, keepAlive: false, url: new URL('http://127.0.0.1:8080/cpu?ms=20') };
  /** @type {Record<string, 'concurrency' | 'seconds' | 'requests'>} */
  const numeric = { '-c': 'concurrency', '-t': 'seconds', '-n': 'requests' };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const key = numeric[arg];
    if (key) {
      const raw = argv[++i] ?? '';
      const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(value >= 1 && value <= LIMITS[key])) throw new UsageError(`${arg} must be a whole number from 1 to ${LIMITS[key]}, got '${raw}'`);
      opts[key] = value;
    } else if (arg === '-k') {
      opts.keepAlive = true;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}; usage: load.mjs [-c CONCURRENCY] [-t SECONDS] [-n MAX_REQUESTS] [-k] [URL]`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length > 1) throw new UsageError('give at most one URL');
  if (positional[0] !== undefined) {
    let url;
    try {
      url = new URL(positional[0]);
    } catch {
      throw new UsageError(`not an http(s) URL: ${positional[0]}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`not an http(s) URL: ${positional[0]}`);
    opts.url = url;
  }
  if (!isAllowedTarget(opts.url.hostname)) {
    throw new UsageError(`refusing target ${opts.url.hostname}: only loopback (127.0.0.0/8, localhost, [::1]) or a Compose service (${COMPOSE_SERVICES.join('|')})`);
  }
  if (opts.concurrency > opts.requests) throw new UsageError(`-c (${opts.concurrency}) must not exceed -n (${opts.requests})`);
  return opts;
}

export class UsageError extends Error {}

/**
 * Nearest-rank percentile of an ascending array (ab's table uses the same rule).
 * @param {readonly number[]} sorted
 * @param {number} p
 */
export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]);
}

/**
 * Runs the load and resolves with the figures the summary prints.
 * @param {ReturnType<typeof parseArgs>} opts
 */
export async function run(opts) {
  const client = opts.url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: opts.keepAlive, maxSockets: opts.concurrency });
  /** @type {number[]} */
  const latenciesMs = [];
  let started = 0;
  let failed = 0;
  let non2xx = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;

  /** @returns {Promise<void>} */
  const once = () =>
    new Promise((resolve) => {
      const begin = performance.now();
      const req = client.get(opts.url, { agent, timeout: PER_REQUEST_TIMEOUT_MS }, (res) => {
        res.on('error', () => undefined);
        res.resume();
        res.on('end', () => {
          latenciesMs.push(performance.now() - begin);
          if (!res.statusCode || res.statusCode < 200 || res.statusCode > 299) non2xx++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed++;
        resolve();
      });
    });

  const worker = async () => {
    while (started < opts.requests && performance.now() < deadline) {
      started++;
      await once();
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  agent.destroy();
  const elapsedS = (performance.now() - t0) / 1000;
  latenciesMs.sort((a, b) => a - b);
  return { url: opts.url.href, concurrency: opts.concurrency, elapsedS, complete: latenciesMs.length, failed, non2xx, latenciesMs };
}

/**
 * Why the run measured nothing, or undefined: most requests failed (more errors than 2xx
 * answers), which is what a target with no server behind it gives.
 * @param {Awaited<ReturnType<typeof run>>} r
 */
export function mostlyFailed(r) {
  const errors = r.failed + r.non2xx;
  const succeeded = r.complete - r.non2xx;
  if (succeeded > 0 && errors <= succeeded) return undefined;
  return `most requests failed (${errors} errors, ${succeeded} succeeded): is the server running and listening at ${r.url}?`;
}

/** @param {Awaited<ReturnType<typeof run>>} r */
export function formatSummary(r) {
  const ms = (/** @type {number} */ p) => Math.round(percentile(r.latenciesMs, p));
  return [
    'tool          load.mjs',
    `target        ${r.url}`,
    `concurrency   ${r.concurrency}`,
    `duration      ${r.elapsedS.toFixed(3)} s`,
    `requests      ${r.complete} complete, ${r.failed + r.non2xx} errors (${r.failed} failed, ${r.non2xx} non-2xx)`,
    `throughput    ${(r.complete / r.elapsedS).toFixed(2)} requests/s`,
    `latency ms    p50 ${ms(50)}  p90 ${ms(90)}  p99 ${ms(99)}  max ${ms(100)}`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const result = await run(parseArgs(process.argv.slice(2)));
    process.stdout.write(`${formatSummary(result)}\n`);
    const failure = mostlyFailed(result);
    if (failure) {
      process.stderr.write(`load.mjs: ${failure}\n`);
      process.exit(1);
    }
  } catch (err) {
    process.stderr.write(`load.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
}
