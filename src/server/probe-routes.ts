/**
 * GET /probe?target=&module=[&debug=true][&hostname=]: blackbox_exporter's multi-target
 * endpoint for the http and icmp probers, with the modules of the config file.
 */
import type { Request, Response } from 'express';
import type { ProbeModule } from '../config/schema.js';
import type { ConfigStore } from '../config/store.js';
import { contentTypeOf, negotiateFormat, writeFormat, writeText } from '../exposition/text.js';
import { defineFlag, type FlagSpec, type ParsedFlags } from '../cli/flags.js';
import type { Logger } from '../lib/log.js';
import { UserRegex } from '../gocompat/user-regex.js';
import { ProbeEnvironment } from '../probe/environment.js';
import { parseTargetUrl } from '../probe/http/target-url.js';
import { recordingProbeLogger } from '../probe/probe-log.js';
import { probeMetricFamilies } from '../probe/probe-metrics.js';
import { type PreparedProbe, type Protocol, prepareModuleProbe, prepareProtocols } from '../probe/probers.js';
import { Slots } from '../probe/slots.js';
import {
  ALLOWED_TARGETS_FLAG,
  DEFAULT_DENIED_NETWORKS,
  Networks,
  TargetPolicy,
  normaliseHost,
  normaliseHostPort,
  normalisedUrl,
  targetPolicyFlags,
  targetPolicyFromFlags,
} from '../probe/target-policy.js';
import type { ProbeResult } from '../probe/types.js';
import type { RoutesFactory } from './routes.js';

export const ICMP_MAX_CONCURRENCY_FLAG = defineFlag({
  name: 'probe.icmp.max-concurrency',
  kind: 'int',
  default: '16',
  min: 1,
  help: 'Maximum number of icmp probes of /probe running at once (each runs a ping process); more wait for a slot, within their own timeout.',
});

export const probeFlags: readonly FlagSpec[] = [...targetPolicyFlags, ICMP_MAX_CONCURRENCY_FLAG];

/** blackbox's default when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds. */
const DEFAULT_SCRAPE_TIMEOUT_SECONDS = 120;
/**
 * Longer probe timeouts are cut to this. Node's timers overflow past 2^31-1 ms (24.8 days) and
 * then fire after 1 ms, and no probe has a reason to run for longer than an hour.
 */
export const MAX_PROBE_TIMEOUT_SECONDS = 3600;
/** blackbox's --timeout-offset default. */
const TIMEOUT_OFFSET_SECONDS = 0.5;
const DEFAULT_MODULE = 'http_2xx';
/** Longer targets are refused: no real URL or host name comes near this. */
const MAX_TARGET_LENGTH = 4096;
const MAX_ECHOED = 200;

export interface ProbeRoutesOptions {
  /** What /probe may reach; by default every target, except addresses in DEFAULT_DENIED_NETWORKS. */
  readonly policy?: TargetPolicy;
  /** icmp probes running at once (default 16). */
  readonly icmpMaxConcurrency?: number;
  /** What the probes share with the rest of the process; by default the routes' own. */
  readonly env?: ProbeEnvironment;
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
 * no module timeout), the scrape timeout itself is used instead of failing at once. The result
 * is at most MAX_PROBE_TIMEOUT_SECONDS.
 */
export function probeTimeoutSeconds(header: string | undefined, moduleTimeoutMs: number): number {
  let scrape = 0;
  if (header !== undefined && header !== '') {
    const trimmed = header.trim();
    // Unambiguous (digits after the point only), so a 16 KiB header cannot backtrack quadratically.
    scrape = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
    if (!Number.isFinite(scrape) || scrape < 0) {
      throw new BadRequest(`Failed to parse timeout from Prometheus header: ${quote(header)} is not a number of seconds`);
    }
  }
  if (scrape === 0) scrape = DEFAULT_SCRAPE_TIMEOUT_SECONDS;
  const max = scrape - TIMEOUT_OFFSET_SECONDS;
  const module = moduleTimeoutMs / 1000;
  const chosen = (module > 0 && module < max) || max < 0 ? module : max;
  return Math.min(chosen > 0 ? chosen : scrape, MAX_PROBE_TIMEOUT_SECONDS);
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

/** The module with the hostname parameter as its Host header (only http modules take one). */
function moduleWithHostname(module: ProbeModule, hostname: string | undefined): ProbeModule {
  return hostname === undefined ? module : { ...module, http: { ...module.http, headers: withHostname(module.http.headers, hostname) } };
}

/**
 * The module as YAML for debug output, with durations and regexes as the user wrote them. The
 * YAML library is loaded here, on the first debug request, not at start (it is a few MB).
 */
async function moduleYaml(module: ProbeModule): Promise<string> {
  const { stringify } = await import('yaml');
  const section = { [module.prober]: module[module.prober] };
  return stringify({ prober: module.prober, timeout: formatDurationMs(module.timeout), ...section }, (_key, value: unknown) =>
    value instanceof UserRegex ? value.source : value,
  );
}

function debugText(lines: readonly string[], metrics: string, yaml: string): string {
  return `Logs for the probe:\n${lines.map((l) => `${l}\n`).join('')}\n\n\nMetrics that would have been returned:\n${metrics}\n\n\nModule configuration:\n${yaml}`;
}

/**
 * The target as its prober will take it (icmp: the normalised host), after --probe.allowed-targets
 * has seen it in normalised form; a target it does not allow is a 403.
 */
function admitTarget(policy: TargetPolicy, prober: ProbeModule['prober'], target: string): string {
  let normalised: string;
  if (prober === 'icmp') {
    normalised = normaliseHost(target);
  } else if (prober === 'tcp' || prober === 'dns') {
    normalised = normaliseHostPort(target);
  } else {
    try {
      normalised = normalisedUrl(parseTargetUrl(target));
    } catch (err) {
      // Not a URL: without an allow-list, the probe itself fails on it (as blackbox's does).
      if (!policy.restrictsTargets) return target;
      throw new BadRequest(`Target ${quote(target)} is not a valid URL (${(err as Error).message}), so --${ALLOWED_TARGETS_FLAG.name} does not allow it`, 403);
    }
  }
  if (!policy.allowsTarget(normalised)) {
    // The normalised form is what the regex saw; show it when it differs from what was sent.
    const as = normalised === target ? '' : ` as ${quote(normalised)}`;
    throw new BadRequest(`Target ${quote(target)}${as} is not allowed by --${ALLOWED_TARGETS_FLAG.name}`, 403);
  }
  return prober === 'http' ? target : normalised;
}

/** Runs `probe` in one of `slots`, or (when none came free in time) lets it answer 'timeout' at once. */
async function inSlot(slots: Slots, protocol: Protocol, probe: PreparedProbe, signal: AbortSignal, log: Logger, env: ProbeEnvironment): Promise<ProbeResult> {
  const release = await slots.acquire(signal);
  try {
    if (!release) log.warn(`Timeout waiting for an ${protocol} probe slot`, { max_concurrency: slots.limit });
    // Without a slot the signal has fired, and the prober answers 'timeout' at once.
    return await probe(signal, log, env);
  } finally {
    release?.();
  }
}

export function createProbeRoutes(options: ProbeRoutesOptions = {}): RoutesFactory {
  const policy = options.policy ?? new TargetPolicy({ deniedNetworks: Networks.parse(DEFAULT_DENIED_NETWORKS.join(',')) });
  const env = options.env ?? new ProbeEnvironment();
  // Probes that cost a process each (icmp: one ping) take one of their protocol's slots first.
  // Per set of routes, not per process: each exporter (and each test app) has its own.
  const slots: Partial<Record<Protocol, Slots>> = { icmp: new Slots(options.icmpMaxConcurrency ?? Number(ICMP_MAX_CONCURRENCY_FLAG.default)) };
  return (config: ConfigStore, baseLog: Logger) => (app) => {
    // The configured protocols prepare now (icmp: detects the system ping), so a warning comes at start-up.
    const prepare = (modules: Record<string, ProbeModule>): void => prepareProtocols(Object.values(modules).map((m) => m.prober), env, baseLog);
    prepare(config.current.modules);
    config.onChange((next) => prepare(next.modules));
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
      const admitted = admitTarget(policy, module.prober, target);
      const hostname = module.prober === 'http' ? param(query, 'hostname') || undefined : undefined;
      const debug = param(query, 'debug') === 'true';
      const probed = moduleWithHostname(module, hostname);
      const probe = prepareModuleProbe(probed, admitted, timeoutSeconds, policy);

      // The probe ends at the deadline, or when the scraper hangs up.
      const clientGone = new AbortController();
      res.once('close', () => clientGone.abort());
      const signal = AbortSignal.any([AbortSignal.timeout(Math.ceil(timeoutSeconds * 1000)), clientGone.signal]);
      const { log, lines } = recordingProbeLogger(baseLog, { module: moduleName, target });
      log.info('Beginning probe', { probe: module.prober, timeout_seconds: timeoutSeconds });
      const protocolSlots = slots[module.prober];
      const result = protocolSlots ? await inSlot(protocolSlots, module.prober, probe, signal, log, env) : await probe(signal, log, env);
      if (result.success) log.info('Probe succeeded', { duration_seconds: result.durationSeconds });
      else log.error('Probe failed', { duration_seconds: result.durationSeconds, reason: result.reason });
      const families = probeMetricFamilies(result, timeoutSeconds);
      if (res.destroyed) return;
      if (debug) {
        res.type('text/plain').send(debugText(lines, writeText(families), await moduleYaml(probed)));
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

/** /probe configured from the command line (the --probe.* flags), probing within `env`. */
export function probeRoutesFromFlags(flags: ParsedFlags, env?: ProbeEnvironment): RoutesFactory {
  return createProbeRoutes({ policy: targetPolicyFromFlags(flags), icmpMaxConcurrency: flags.get(ICMP_MAX_CONCURRENCY_FLAG), ...(env ? { env } : {}) });
}
