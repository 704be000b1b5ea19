/**
 * GET /probe?target=&module=[&debug=true][&hostname=]: blackbox_exporter's multi-target
 * endpoint for the http and icmp probers, with the modules of the config file.
 */
import type { Request, Response } from 'express';
import { stringify } from 'yaml';
import type { ProbeModule } from '../config/schema.js';
import type { ConfigStore } from '../config/store.js';
import type { RoutesFactory } from '../exporter.js';
import { contentTypeOf, negotiateFormat, writeFormat, writeText } from '../exposition/text.js';
import type { FlagSpec, ParsedFlags } from '../flags.js';
import type { Logger } from '../log.js';
import { probeHttp } from './http.js';
import { pingAvailability, probeIcmp } from './icmp.js';
import { httpOptionsFromModule, icmpOptionsFromModule } from './options.js';
import { recordingProbeLogger } from './probe-log.js';
import { probeMetricFamilies } from './probe-metrics.js';
import type { ProbeResult } from './types.js';

export const ALLOWED_TARGETS_FLAG = 'probe.allowed-targets';

export const probeFlags: FlagSpec[] = [
  {
    name: ALLOWED_TARGETS_FLAG,
    kind: 'regex',
    help: 'Regular expression that the whole target of /probe must match (for example https?://(www|api)\\.example\\.com(:\\d+)?/.*); other targets get 403. Unset: every target is allowed, as in blackbox_exporter.',
  },
];

/** blackbox's default when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds. */
const DEFAULT_SCRAPE_TIMEOUT_SECONDS = 120;
/** blackbox's --timeout-offset default. */
const TIMEOUT_OFFSET_SECONDS = 0.5;
const DEFAULT_MODULE = 'http_2xx';
/** Longer targets are refused: no real URL or host name comes near this. */
const MAX_TARGET_LENGTH = 4096;
const MAX_ECHOED = 200;

export interface ProbeRoutesOptions {
  /** Targets must match it in full; undefined allows every target. */
  readonly allowedTargets?: RegExp;
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Go's %q, near enough: quoted, escaped, and short. */
function quote(s: string): string {
  return JSON.stringify(s.length > MAX_ECHOED ? `${s.slice(0, MAX_ECHOED)}...` : s);
}

/** One query parameter; repeated or structured values are refused rather than guessed at. */
function param(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new BadRequest(Array.isArray(v) ? `Parameter ${name} is repeated` : `Parameter ${name} is malformed`);
}

/**
 * blackbox's getTimeout: the scrape timeout less the offset, or the module's timeout when it is
 * shorter. Where blackbox would end up with zero or less (scrape timeout under the offset and
 * no module timeout), the scrape timeout itself is used instead of failing at once.
 */
export function probeTimeoutSeconds(header: string | undefined, moduleTimeoutMs: number): number {
  let scrape = 0;
  if (header !== undefined && header !== '') {
    const trimmed = header.trim();
    scrape = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
    if (!Number.isFinite(scrape) || scrape < 0) {
      throw new BadRequest(`Failed to parse timeout from Prometheus header: ${quote(header)} is not a number of seconds`);
    }
  }
  if (scrape === 0) scrape = DEFAULT_SCRAPE_TIMEOUT_SECONDS;
  const max = scrape - TIMEOUT_OFFSET_SECONDS;
  const module = moduleTimeoutMs / 1000;
  const chosen = (module > 0 && module < max) || max < 0 ? module : max;
  return chosen > 0 ? chosen : scrape;
}

/** blackbox's setHTTPHost: the hostname parameter becomes the Host header (and so the SNI name). */
function withHostname(headers: Readonly<Record<string, string>>, hostname: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'host') {
      if (value !== hostname) {
        throw new BadRequest(`host header defined both in module configuration (${value}) and with URL-parameter 'hostname' (${hostname.slice(0, MAX_ECHOED)})`);
      }
      continue;
    }
    out[name] = value;
  }
  out['Host'] = hostname;
  return out;
}

function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** The module as YAML for debug output, with durations and regexes as the user wrote them. */
function moduleYaml(module: ProbeModule, hostname: string | undefined): string {
  const section = module.prober === 'http'
    ? { http: hostname === undefined ? module.http : { ...module.http, headers: withHostname(module.http.headers, hostname) } }
    : { icmp: module.icmp };
  return stringify({ prober: module.prober, timeout: formatDurationMs(module.timeout), ...section }, (_key, value: unknown) =>
    value instanceof RegExp ? value.source : value,
  );
}

function debugText(lines: readonly string[], metrics: string, yaml: string): string {
  return `Logs for the probe:\n${lines.map((l) => `${l}\n`).join('')}\n\n\nMetrics that would have been returned:\n${metrics}\n\n\nModule configuration:\n${yaml}`;
}

function anchored(re: RegExp): RegExp {
  return new RegExp(`^(?:${re.source})$`, re.flags.replace(/[gy]/g, ''));
}

export function createProbeRoutes(options: ProbeRoutesOptions = {}): RoutesFactory {
  const allowed = options.allowedTargets ? anchored(options.allowedTargets) : undefined;
  return (config: ConfigStore, baseLog: Logger) => (app) => {
    // With icmp modules configured, check the system ping now, so a warning comes at start-up.
    const detectPingIfNeeded = (modules: Record<string, ProbeModule>): void => {
      if (Object.values(modules).some((m) => m.prober === 'icmp')) void pingAvailability(baseLog);
    };
    detectPingIfNeeded(config.current.modules);
    config.onChange((next) => detectPingIfNeeded(next.modules));
    const handle = async (req: Request, res: Response): Promise<void> => {
      const query = req.query as Record<string, unknown>;
      const moduleName = param(query, 'module') || DEFAULT_MODULE;
      const modules = config.current.modules;
      const module = Object.hasOwn(modules, moduleName) ? modules[moduleName] : undefined;
      if (!module) throw new BadRequest(`Unknown module ${quote(moduleName)}`);
      const timeoutSeconds = probeTimeoutSeconds(req.get('X-Prometheus-Scrape-Timeout-Seconds'), module.timeout);
      const target = param(query, 'target');
      if (!target) throw new BadRequest('Target parameter is missing');
      if (target.length > MAX_TARGET_LENGTH) throw new BadRequest(`Target parameter is longer than ${MAX_TARGET_LENGTH} characters`);
      if (allowed && !allowed.test(target)) throw new BadRequest(`Target ${quote(target)} is not allowed by --${ALLOWED_TARGETS_FLAG}`, 403);
      const hostname = module.prober === 'http' ? param(query, 'hostname') || undefined : undefined;
      const debug = param(query, 'debug') === 'true';
      const httpOptions = module.prober === 'http' ? httpOptionsFromModule(module.http) : undefined;
      const headers = httpOptions && hostname !== undefined ? withHostname(httpOptions.headers, hostname) : undefined;

      // The probe ends at the deadline, or when the scraper hangs up.
      const clientGone = new AbortController();
      res.once('close', () => clientGone.abort());
      const signal = AbortSignal.any([AbortSignal.timeout(Math.ceil(timeoutSeconds * 1000)), clientGone.signal]);
      const { log, lines } = recordingProbeLogger(baseLog, { module: moduleName, target });
      log.info('Beginning probe', { probe: module.prober, timeout_seconds: timeoutSeconds });
      let result: ProbeResult;
      if (httpOptions) {
        result = await probeHttp(target, headers ? { ...httpOptions, headers } : httpOptions, signal, log);
      } else {
        result = await probeIcmp(target, icmpOptionsFromModule(module.icmp, timeoutSeconds), signal, log);
      }
      if (result.success) log.info('Probe succeeded', { duration_seconds: result.durationSeconds });
      else log.error('Probe failed', { duration_seconds: result.durationSeconds, reason: result.reason });
      const families = probeMetricFamilies(result, timeoutSeconds);
      if (res.destroyed) return;
      if (debug) {
        res.type('text/plain').send(debugText(lines, writeText(families), moduleYaml(module, hostname)));
        return;
      }
      const format = negotiateFormat(req.get('Accept'));
      res.set('Content-Type', contentTypeOf(format)).status(200).send(writeFormat(format, families));
    };
    app.get('/probe', async (req, res) => {
      try {
        await handle(req, res);
      } catch (err) {
        if (err instanceof BadRequest) {
          baseLog.debug('bad probe request', { err: err.message });
          res.status(err.status).type('text/plain').send(`${err.message}\n`);
          return;
        }
        throw err;
      }
    });
  };
}

/** /probe with every target allowed. */
export const probeRoutes: RoutesFactory = createProbeRoutes();

/** /probe configured from the command line (--probe.allowed-targets). */
export function probeRoutesFromFlags(flags: ParsedFlags): RoutesFactory {
  const allowedTargets = flags.regex(ALLOWED_TARGETS_FLAG);
  return createProbeRoutes(allowedTargets ? { allowedTargets } : {});
}
