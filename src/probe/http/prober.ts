/**
 * The HTTP prober, blackbox_exporter's prober/http.go in behaviour: one fresh connection per
 * round trip (round-trip.ts), per-phase timings summed over redirects, at most 10 redirects,
 * and the status, header, body, version and TLS checks in its order (validate.ts).
 */
import type { IncomingMessage } from 'node:http';
import { packageVersion } from '../../cli/version.js';
import { resolveTarget } from '../resolve.js';
import { ResultBuilder } from '../result.js';
import type { FailureReason, HttpDetails, HttpProbeOptions, Prober, ProbeResult } from '../types.js';
import { MAX_BODY_BYTES, readBody } from './body.js';
import { loadClientMaterial } from './material.js';
import { tlsMaterialOptions } from '../tls-material.js';
import { classifyHttpError, logTimings, type RoundTrip, roundTrip, sumPhases } from './round-trip.js';
import type { TlsInfo } from './tls.js';
import { parseTargetUrl } from './target-url.js';
import { bodyMismatch, headerMismatch, statusCodeValid, versionAndSslValid } from './validate.js';

const MAX_REDIRECTS = 10;
const USER_AGENT = `sidecar-exporter/${packageVersion()}`;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);
/** Headers Go's http.Client does not carry to another host on a redirect. */
const SENSITIVE_ON_REDIRECT = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2']);

/** Go's isDomainOrSubdomain: whether credentials for `parent` may go to `sub` on a redirect. */
export function isDomainOrSubdomain(sub: string, parent: string): boolean {
  if (sub === parent) return true;
  // An IPv6 literal has colons; neither it nor its "subdomains" can be another host's.
  if (sub.includes(':') || parent.includes(':')) return false;
  return sub.endsWith(`.${parent}`);
}

/** Whether a Location value names its host (absolute or scheme-relative) rather than a path on the same one. */
function namesHost(location: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(location) || location.startsWith('//');
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** The host part of a Host header value, for SNI. */
function hostOf(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed) return bracketed[1] as string;
  return hostHeader.replace(/:\d+$/, '');
}

function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The method and body after a redirect, as Go's http.Client decides them. */
function redirectedRequest(status: number, method: string, body: string | Buffer | undefined): { method: string; body: string | Buffer | undefined } {
  if (status === 307 || status === 308) return { method, body };
  return { method: method === 'GET' || method === 'HEAD' ? method : 'GET', body: undefined };
}

export const probeHttp: Prober<HttpProbeOptions> = async (target, options, signal, log, env) => {
  const outcome = new ResultBuilder();
  const traces: RoundTrip[] = [];
  let firstResolve = 0;
  const result = (reason: FailureReason | undefined, details: Partial<HttpDetails> = {}): ProbeResult =>
    outcome.result(reason, {
      http: {
        statusCode: 0,
        contentLength: 0,
        uncompressedBodyLength: 0,
        redirects: 0,
        ssl: false,
        httpVersion: 0,
        failedDueToRegex: false,
        ...details,
        phases: sumPhases(traces, firstResolve),
      },
    });

  try {
    if (signal.aborted) return result('timeout');
    let url: URL;
    try {
      url = parseTargetUrl(target);
    } catch (err) {
      log.error('Could not parse target URL', { err });
      return result('error');
    }
    const { guard } = options;
    /** Ends the probe on a refusal of the guard (the /probe rules), before any connection to what it refused. */
    const refused = (msg: string, err: string, redirects = 0): ProbeResult => {
      log.error(msg, { err });
      logTimings(log, traces);
      return result('permission', { redirects });
    };
    const urlRefusal = guard?.refuseUrl(url);
    if (urlRefusal !== undefined) return refused('Target not allowed', urlRefusal);
    const resolution = await resolveTarget(urlHost(url), options.preferredIpProtocol, options.ipProtocolFallback, signal, log, env.lookups);
    outcome.lookedUp(resolution.lookupSeconds);
    firstResolve = resolution.lookupSeconds;
    if (!resolution.ok) {
      log.error('Error resolving address', { err: resolution.message });
      return result(resolution.reason, { beforeRequest: true });
    }
    outcome.resolvedTo(resolution.address, resolution.family);
    const addressRefusal = guard?.refuseAddress(resolution.address);
    if (addressRefusal !== undefined) return refused('Target address not allowed', addressRefusal);
    // Files are read at each probe, as blackbox builds its client (CA, client certificate, credentials) per probe.
    const loaded = await loadClientMaterial(options);
    if (!loaded.ok) {
      log.error('Error generating HTTP client', { err: loaded.message });
      return result('error', { beforeRequest: true });
    }
    const { material } = loaded;

    const configuredHost = headerValue(options.headers, 'host');
    const baseHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers)) if (k.toLowerCase() !== 'host') baseHeaders[k] = v;
    if (headerValue(options.headers, 'user-agent') === undefined) baseHeaders['User-Agent'] = USER_AGENT;
    // basic_auth, authorization and bearer_token yield to an Authorization header the module sets.
    if (material.authorization !== undefined && headerValue(options.headers, 'authorization') === undefined) baseHeaders['Authorization'] = material.authorization;
    /**
     * blackbox requests the resolved address, so the host its redirects are judged against is that
     * address (or the host a Location names); once a hop leaves it and its subdomains, credentials
     * and cookies stay behind for the rest of the chain (Go's client and prometheus/common).
     */
    const firstHost = resolution.address;
    let leftFirstHost = false;

    /** The next request; `resolved` is undefined when its host still has to be resolved. */
    let hop: {
      url: URL;
      resolved: { address: string; family: 4 | 6 } | undefined;
      method: string;
      body: string | Buffer | undefined;
      host: string;
      serverName: string;
      /** The host blackbox's request URL has at this hop. */
      urlHost: string;
    } = {
      url,
      resolved: { address: resolution.address, family: resolution.family },
      method: options.method,
      body: material.body ?? options.body,
      urlHost: firstHost,
      host: configuredHost ?? url.host,
      serverName: options.serverName ?? (configuredHost !== undefined ? hostOf(configuredHost) : urlHost(url)),
    };
    let redirects = 0;
    let final: { response: IncomingMessage; trace: RoundTrip; tlsInfo?: TlsInfo; followRefused: boolean } | undefined;
    while (!final) {
      const now = performance.now();
      const trace: RoundTrip = { tls: hop.url.protocol === 'https:', start: now, dnsDone: now };
      traces.push(trace);
      let resolved = hop.resolved;
      if (!resolved) {
        const next = await resolveTarget(urlHost(hop.url), options.preferredIpProtocol, options.ipProtocolFallback, signal, log, env.lookups);
        trace.dnsDone = performance.now();
        if (!next.ok) {
          log.error('Error for HTTP request', { err: next.message });
          logTimings(log, traces);
          return result(next.reason, { redirects });
        }
        // Each hop's address is checked before connecting: a redirect must not reach what the target could not.
        const refusal = guard?.refuseAddress(next.address);
        if (refusal !== undefined) return refused('Redirect address not allowed', refusal, redirects);
        resolved = { address: next.address, family: next.family };
      }
      log.info('Making HTTP request', { url: hop.url.href, host: hop.host });
      if (!isDomainOrSubdomain(hop.urlHost.toLowerCase(), firstHost)) leftFirstHost = true;
      const headers: Record<string, string> = { Host: hop.host };
      for (const [k, v] of Object.entries(baseHeaders)) if (!leftFirstHost || !SENSITIVE_ON_REDIRECT.has(k.toLowerCase())) headers[k] = v;
      const outcome = await roundTrip(
        {
          url: hop.url,
          address: resolved.address,
          family: resolved.family,
          method: hop.method,
          headers,
          body: hop.body,
          serverName: hop.serverName,
          insecureSkipVerify: options.insecureSkipVerify,
          material: tlsMaterialOptions(material, options.tls),
        },
        trace,
        signal,
      );
      if (!outcome.ok) {
        const reason = classifyHttpError(outcome.error, outcome.stage, signal.aborted);
        log.error('Error for HTTP request', { err: signal.aborted ? 'context deadline exceeded' : outcome.error.message });
        logTimings(log, traces);
        return result(reason, { redirects });
      }
      const { response } = outcome;
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (!REDIRECT_CODES.has(status) || location === undefined) {
        final = { response, trace, followRefused: false, ...(outcome.tlsInfo ? { tlsInfo: outcome.tlsInfo } : {}) };
        break;
      }
      log.info('Received redirect', { location });
      redirects++;
      if (redirects > MAX_REDIRECTS || !options.followRedirects) {
        log.info('Not following redirect');
        // Go's client closes this response's body before returning it with the error.
        final = { response, trace, followRefused: true, ...(outcome.tlsInfo ? { tlsInfo: outcome.tlsInfo } : {}) };
        break;
      }
      response.destroy();
      let next: URL;
      try {
        next = new URL(location, hop.url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`unsupported protocol scheme ${JSON.stringify(next.protocol)}`);
      } catch (err) {
        log.error('Error for HTTP request', { err: `failed to parse Location header ${JSON.stringify(location)}: ${(err as Error).message}` });
        logTimings(log, traces);
        return result('error', { redirects });
      }
      const refusal = guard?.refuseUrl(next);
      if (refusal !== undefined) return refused('Redirect not allowed', refusal, redirects);
      const sameHost = next.host === hop.url.host;
      hop = {
        ...hop,
        ...redirectedRequest(status, hop.method, hop.body),
        url: next,
        // Same host: same address and Host header, as Go keeps them for relative redirects.
        resolved: sameHost ? resolved : undefined,
        host: sameHost ? hop.host : next.host,
        serverName: sameHost ? hop.serverName : urlHost(next),
        urlHost: namesHost(location) ? urlHost(next) : hop.urlHost,
      };
    }

    const { response, trace, tlsInfo, followRefused } = final;
    const statusCode = response.statusCode ?? 0;
    log.info('Received HTTP response', { status_code: statusCode });
    let reason: FailureReason | undefined;
    let failedDueToRegex = false;
    if (!statusCodeValid(statusCode, options, log)) reason = 'status_code';
    if (!reason) {
      const mismatch = headerMismatch(response, options.failIfHeaderMatches, options.failIfHeaderNotMatches);
      if (mismatch) {
        log.error(mismatch);
        reason = 'body';
        failedDueToRegex = true;
      }
    }
    const regexes = options.failIfBodyMatches.length > 0 || options.failIfBodyNotMatches.length > 0;
    let bytes = 0;
    if (followRefused) {
      // blackbox gets this response back with its body already closed: nothing to count, decode or match.
      response.destroy();
      const unreadable = 'http: read on closed response body';
      if (options.compression === 'gzip') {
        log.error('Failed to get decompressor for HTTP response body', { err: unreadable });
        reason ??= 'body';
      }
      if (!reason && regexes) {
        log.error('Error reading HTTP body', { err: unreadable });
        reason = 'body';
        failedDueToRegex = true;
      }
    } else {
      const wantBody = !reason && regexes;
      const body = await readBody(response, { keep: wantBody, ...(options.compression ? { compression: options.compression } : {}), ...(options.bodySizeLimit ? { limit: options.bodySizeLimit } : {}) }, signal);
      bytes = body.bytes;
      const readError = body.error ? (signal.aborted ? 'context deadline exceeded' : body.error.message) : body.decodeError;
      /** A failed read fails the probe: 'body' when the body was at fault (decoding, limit), else the connection's. */
      const readReason: FailureReason = body.error ? (signal.aborted ? 'timeout' : 'error') : 'body';
      if (body.decompressorError !== undefined) {
        log.error('Failed to get decompressor for HTTP response body', { err: body.decompressorError });
        reason ??= 'body';
      } else if (wantBody && readError !== undefined) {
        log.error('Error reading HTTP body', { err: readError });
        reason ??= readReason;
        failedDueToRegex = true;
      } else if (wantBody) {
        const mismatch = body.tooLarge ? `Body is larger than ${MAX_BODY_BYTES} bytes, too large to match` : bodyMismatch(body.text ?? '', options);
        if (mismatch) {
          log.error(mismatch);
          reason ??= 'body';
          failedDueToRegex = true;
        }
      }
      if (readError !== undefined) {
        log.info('Failed to read HTTP response body', { err: readError });
        reason ??= readReason;
      }
    }
    trace.end = performance.now();
    const ssl = trace.tls;
    if (!versionAndSslValid(response.httpVersion, ssl, options, log)) reason ??= 'body';
    logTimings(log, traces);
    const contentLengthHeader = response.headers['content-length'];
    const contentLength = contentLengthHeader !== undefined && /^\d+$/.test(contentLengthHeader) ? Number(contentLengthHeader) : -1;
    return result(reason, {
      statusCode,
      contentLength,
      uncompressedBodyLength: bytes,
      redirects,
      ssl,
      httpVersion: Number(response.httpVersion) || 0,
      failedDueToRegex,
      ...(tlsInfo?.earliestExpiry !== undefined ? { certExpiryTimestamp: tlsInfo.earliestExpiry } : {}),
      ...(tlsInfo?.version !== undefined ? { tlsVersion: tlsInfo.version } : {}),
      ...(tlsInfo?.verifiedChainExpiry !== undefined ? { lastChainExpiryTimestamp: tlsInfo.verifiedChainExpiry } : {}),
    });
  } catch (err) {
    // A bug here must not reject: the contract is a result, always.
    log.error('HTTP probe failed unexpectedly', { err });
    return result(signal.aborted ? 'timeout' : 'error');
  }
};
