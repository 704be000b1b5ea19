/**
 * The HTTP prober, blackbox_exporter's prober/http.go in behaviour: one fresh connection per
 * round trip (no keep-alive, no TLS session reuse), per-phase timings summed over redirects,
 * at most 10 redirects, and the status, header, body, version and TLS checks in its order.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { Logger } from '../lib/log.js';
import { packageVersion } from '../cli/version.js';
import { abortError, resolveTarget } from './resolve.js';
import type { FailureReason, HeaderMatch, HttpDetails, HttpProbeOptions, Prober, ProbeResult } from './types.js';

const MAX_REDIRECTS = 10;
/** Bodies are read whole for the regex checks; a bigger one fails the probe instead of filling memory. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
const USER_AGENT = `sidecar-exporter/${packageVersion()}`;
const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

type Phase = keyof HttpDetails['phases'];
type Stage = 'connect' | 'tls' | 'response';

/** Moments of one round trip (performance.now() ms), as blackbox's httptrace hooks record them. */
interface RoundTrip {
  readonly tls: boolean;
  start: number;
  dnsDone: number;
  connectDone?: number;
  tlsStart?: number;
  tlsDone?: number;
  gotConn?: number;
  responseStart?: number;
  end?: number;
}

interface TlsInfo {
  readonly earliestExpiry?: number;
  readonly verifiedChainExpiry?: number;
  readonly version?: string;
}

type RoundTripOutcome =
  | { readonly ok: true; readonly response: IncomingMessage; readonly tlsInfo?: TlsInfo }
  | { readonly ok: false; readonly error: Error; readonly stage: Stage };

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL']);
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ETIMEDOUT', 'EPIPE', 'EADDRNOTAVAIL',
]);
/** OpenSSL's verification failures as Node names them. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY|DECRYPT)|HOSTNAME_MISMATCH|INVALID_CA)/;

export function classifyHttpError(err: Error, stage: Stage, aborted: boolean): FailureReason {
  if (aborted) return 'timeout';
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (DNS_CODES.has(code)) return 'dns';
  if (stage === 'tls' || TLS_CODE.test(code)) return 'tls';
  if (CONNECT_CODES.has(code)) return 'connect';
  return 'error';
}

/** Runs `onAbort` when `signal` fires; returns the function that stops listening. */
function whenAborted(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    queueMicrotask(onAbort);
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function tlsVersionName(protocol: string | null): string | undefined {
  const m = /^TLSv(\d(?:\.\d)?)$/.exec(protocol ?? '');
  if (!m) return undefined;
  return `TLS ${(m[1] as string).includes('.') ? m[1] : `${m[1]}.0`}`;
}

/** Expiry (Unix seconds) of each certificate in the chain Node reports, leaf first. */
function chainExpiries(leaf: DetailedPeerCertificate): number[] {
  const out: number[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const notAfter = Date.parse(cert.valid_to);
    if (Number.isFinite(notAfter)) out.push(Math.floor(notAfter / 1000));
    cert = cert.issuerCertificate;
  }
  return out;
}

function readTlsInfo(socket: TLSSocket): TlsInfo {
  const expiries = chainExpiries(socket.getPeerCertificate(true));
  const earliest = expiries.length > 0 ? Math.min(...expiries) : undefined;
  const version = tlsVersionName(socket.getProtocol());
  return {
    ...(earliest !== undefined ? { earliestExpiry: earliest } : {}),
    ...(earliest !== undefined && socket.authorized ? { verifiedChainExpiry: earliest } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}

interface RoundTripRequest {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  readonly serverName: string;
  readonly insecureSkipVerify: boolean;
}

/** One request on a new connection, up to its response headers. */
function roundTrip(r: RoundTripRequest, trace: RoundTrip, signal: AbortSignal): Promise<RoundTripOutcome> {
  return new Promise((resolve) => {
    let stage: Stage = 'connect';
    let tlsInfo: TlsInfo | undefined;
    const tls = r.url.protocol === 'https:';
    const options: https.RequestOptions = {
      host: r.address,
      family: r.family,
      port: r.url.port || (tls ? 443 : 80),
      path: `${r.url.pathname}${r.url.search}`,
      method: r.method,
      headers: r.headers,
      // A new agent without keep-alive per request, so every probe pays connect and TLS.
      agent: false,
      ...(tls ? { servername: isIP(r.serverName) ? '' : r.serverName, rejectUnauthorized: !r.insecureSkipVerify } : {}),
    };
    let req: http.ClientRequest;
    try {
      req = (tls ? https : http).request(options);
    } catch (err) {
      resolve({ ok: false, error: err as Error, stage });
      return;
    }
    const stopListening = whenAborted(signal, () => req.destroy(abortError()));
    req.once('socket', (socket) => {
      socket.once('connect', () => {
        trace.connectDone = performance.now();
        if (tls) {
          trace.tlsStart = trace.connectDone;
          stage = 'tls';
        } else {
          trace.gotConn = trace.connectDone;
          stage = 'response';
        }
      });
      if (tls) {
        socket.once('secureConnect', () => {
          trace.tlsDone = trace.gotConn = performance.now();
          tlsInfo = readTlsInfo(socket as TLSSocket);
          stage = 'response';
        });
      }
      socket.once('data', () => {
        trace.responseStart ??= performance.now();
      });
    });
    req.once('response', (response) => {
      stopListening();
      trace.responseStart ??= performance.now();
      resolve({ ok: true, response, ...(tlsInfo ? { tlsInfo } : {}) });
    });
    // `on`, not `once`: a second error must not go unhandled (resolving again is a no-op).
    req.on('error', (error) => {
      stopListening();
      resolve({ ok: false, error, stage });
    });
    req.end(r.body);
  });
}

interface Body {
  readonly bytes: number;
  /** The body as text, when it was kept and fitted in MAX_BODY_BYTES. */
  readonly text?: string;
  readonly tooLarge: boolean;
  readonly error?: Error;
}

/** Reads the response to its end, keeping the text only when a regex needs it. */
function readBody(response: IncomingMessage, keep: boolean, signal: AbortSignal): Promise<Body> {
  return new Promise((resolve) => {
    let bytes = 0;
    let tooLarge = false;
    const chunks: Buffer[] = [];
    const stopListening = whenAborted(signal, () => response.destroy(abortError()));
    const done = (error?: Error): void => {
      stopListening();
      const text = keep && !tooLarge ? Buffer.concat(chunks).toString('utf8') : undefined;
      resolve({ bytes, tooLarge, ...(text !== undefined ? { text } : {}), ...(error ? { error } : {}) });
    };
    response.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!keep || tooLarge) return;
      if (bytes > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    response.once('end', () => done());
    response.once('error', (err) => done(err));
    response.once('aborted', () => done(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
  });
}

/** blackbox's matchRegularExpressionsOnHeaders; returns the failure to log, if any. */
function headerMismatch(response: IncomingMessage, fail: readonly HeaderMatch[], failUnless: readonly HeaderMatch[]): string | undefined {
  const valuesOf = (name: string): string[] => {
    // headersDistinct keeps repeated headers apart, as Go's http.Header does.
    return response.headersDistinct[name.toLowerCase()] ?? [];
  };
  for (const [list, wantMatch] of [[fail, false], [failUnless, true]] as const) {
    for (const m of list) {
      const values = valuesOf(m.header);
      if (values.length === 0) {
        if (m.allowMissing) continue;
        return `Missing required header ${m.header}`;
      }
      const matched = values.some((v) => m.regexp.test(v));
      if (matched !== wantMatch) return `Header ${wantMatch ? 'did not match' : 'matched'} regular expression ${m.header}: ${m.regexp.source}`;
    }
  }
  return undefined;
}

function bodyMismatch(text: string, options: HttpProbeOptions): string | undefined {
  for (const re of options.failIfBodyMatches) if (re.test(text)) return `Body matched regular expression ${re.source}`;
  for (const re of options.failIfBodyNotMatches) if (!re.test(text)) return `Body did not match regular expression ${re.source}`;
  return undefined;
}

/** The URL an http probe fetches for `target`: as given, or with http:// when it has no scheme. */
export function parseTargetUrl(target: string): URL {
  const url = new URL(/^https?:\/\//i.test(target) ? target : `http://${target}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol scheme ${JSON.stringify(url.protocol)}`);
  return url;
}

/** Sums the round trips' phases with blackbox's definitions (the first resolve is added by the caller). */
function sumPhases(traces: readonly RoundTrip[], firstResolveSeconds: number): Record<Phase, number> {
  const ms = { resolve: 0, connect: 0, tls: 0, processing: 0, transfer: 0 };
  traces.forEach((t, i) => {
    if (i > 0) ms.resolve += t.dnsDone - t.start;
    if (t.gotConn === undefined) return;
    if (t.tls) {
      ms.connect += (t.connectDone ?? t.dnsDone) - t.dnsDone;
      ms.tls += (t.tlsDone ?? t.gotConn) - (t.tlsStart ?? t.gotConn);
    } else {
      ms.connect += t.gotConn - t.dnsDone;
    }
    if (t.responseStart === undefined) return;
    ms.processing += t.responseStart - t.gotConn;
    if (t.end === undefined) return;
    ms.transfer += t.end - t.responseStart;
  });
  return {
    resolve: firstResolveSeconds + ms.resolve / 1000,
    connect: ms.connect / 1000,
    tls: ms.tls / 1000,
    processing: ms.processing / 1000,
    transfer: ms.transfer / 1000,
  };
}

function isoTime(t: number | undefined): string {
  return t === undefined ? '0001-01-01T00:00:00Z' : new Date(performance.timeOrigin + t).toISOString();
}

function logTimings(log: Logger, traces: readonly RoundTrip[]): void {
  traces.forEach((t, i) => {
    log.info('Response timings for roundtrip', {
      roundtrip: i,
      start: isoTime(t.start),
      dnsDone: isoTime(t.dnsDone),
      connectDone: isoTime(t.connectDone),
      gotConn: isoTime(t.gotConn),
      responseStart: isoTime(t.responseStart),
      tlsStart: isoTime(t.tlsStart),
      tlsDone: isoTime(t.tlsDone),
      end: isoTime(t.end),
    });
  });
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
function redirectedRequest(status: number, method: string, body: string | undefined): { method: string; body: string | undefined } {
  if (status === 307 || status === 308) return { method, body };
  return { method: method === 'GET' || method === 'HEAD' ? method : 'GET', body: undefined };
}

export const probeHttp: Prober<HttpProbeOptions> = async (target, options, signal, log) => {
  const started = performance.now();
  const traces: RoundTrip[] = [];
  let firstResolve = 0;
  let dnsLookupSeconds = 0;
  let ipProtocol: 0 | 4 | 6 = 0;
  let ipAddress: string | undefined;
  const result = (reason: FailureReason | undefined, details: Partial<HttpDetails> = {}): ProbeResult => ({
    success: reason === undefined,
    ...(reason !== undefined ? { reason } : {}),
    durationSeconds: (performance.now() - started) / 1000,
    ipProtocol,
    dnsLookupSeconds,
    ...(ipAddress !== undefined ? { ipAddress } : {}),
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
    const resolution = await resolveTarget(urlHost(url), options.preferredIpProtocol, options.ipProtocolFallback, signal, log);
    dnsLookupSeconds = resolution.lookupSeconds;
    firstResolve = resolution.lookupSeconds;
    if (!resolution.ok) {
      log.error('Error resolving address', { err: resolution.message });
      return result(resolution.reason);
    }
    ipProtocol = resolution.family;
    ipAddress = resolution.address;
    const addressRefusal = guard?.refuseAddress(resolution.address);
    if (addressRefusal !== undefined) return refused('Target address not allowed', addressRefusal);

    const configuredHost = headerValue(options.headers, 'host');
    const baseHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.headers)) if (k.toLowerCase() !== 'host') baseHeaders[k] = v;
    if (headerValue(options.headers, 'user-agent') === undefined) baseHeaders['User-Agent'] = USER_AGENT;

    /** The next request; `resolved` is undefined when its host still has to be resolved. */
    let hop: { url: URL; resolved: { address: string; family: 4 | 6 } | undefined; method: string; body: string | undefined; host: string; serverName: string } = {
      url,
      resolved: { address: resolution.address, family: resolution.family },
      method: options.method,
      body: options.body,
      host: configuredHost ?? url.host,
      serverName: options.serverName ?? (configuredHost !== undefined ? hostOf(configuredHost) : urlHost(url)),
    };
    let redirects = 0;
    let final: { response: IncomingMessage; trace: RoundTrip; tlsInfo?: TlsInfo } | undefined;
    while (!final) {
      const now = performance.now();
      const trace: RoundTrip = { tls: hop.url.protocol === 'https:', start: now, dnsDone: now };
      traces.push(trace);
      let resolved = hop.resolved;
      if (!resolved) {
        const next = await resolveTarget(urlHost(hop.url), options.preferredIpProtocol, options.ipProtocolFallback, signal, log);
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
      const outcome = await roundTrip(
        {
          url: hop.url,
          address: resolved.address,
          family: resolved.family,
          method: hop.method,
          headers: { ...baseHeaders, Host: hop.host },
          body: hop.body,
          serverName: hop.serverName,
          insecureSkipVerify: options.insecureSkipVerify,
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
        final = { response, trace, ...(outcome.tlsInfo ? { tlsInfo: outcome.tlsInfo } : {}) };
        break;
      }
      log.info('Received redirect', { location });
      redirects++;
      if (redirects > MAX_REDIRECTS || !options.followRedirects) {
        log.info('Not following redirect');
        final = { response, trace, ...(outcome.tlsInfo ? { tlsInfo: outcome.tlsInfo } : {}) };
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
      };
    }

    const { response, trace, tlsInfo } = final;
    const statusCode = response.statusCode ?? 0;
    log.info('Received HTTP response', { status_code: statusCode });
    let reason: FailureReason | undefined;
    let failedDueToRegex = false;
    if (options.validStatusCodes.length > 0 ? !options.validStatusCodes.includes(statusCode) : statusCode < 200 || statusCode > 299) {
      log.info(options.validStatusCodes.length > 0 ? 'Invalid HTTP response status code' : 'Invalid HTTP response status code, wanted 2xx', {
        status_code: statusCode,
        ...(options.validStatusCodes.length > 0 ? { valid_status_codes: `[${options.validStatusCodes.join(' ')}]` } : {}),
      });
      reason = 'status_code';
    }
    if (!reason) {
      const mismatch = headerMismatch(response, options.failIfHeaderMatches, options.failIfHeaderNotMatches);
      if (mismatch) {
        log.error(mismatch);
        reason = 'body';
        failedDueToRegex = true;
      }
    }
    const wantBody = !reason && (options.failIfBodyMatches.length > 0 || options.failIfBodyNotMatches.length > 0);
    const body = await readBody(response, wantBody, signal);
    trace.end = performance.now();
    if (body.error) {
      log.info('Failed to read HTTP response body', { err: signal.aborted ? 'context deadline exceeded' : body.error.message });
      reason ??= signal.aborted ? 'timeout' : 'error';
    } else if (wantBody) {
      const mismatch = body.tooLarge ? `Body is larger than ${MAX_BODY_BYTES} bytes, too large to match` : bodyMismatch(body.text ?? '', options);
      if (mismatch) {
        log.error(mismatch);
        reason ??= 'body';
        failedDueToRegex = true;
      }
    }
    const proto = `HTTP/${response.httpVersion}`;
    if (options.validHttpVersions.length > 0 && !options.validHttpVersions.includes(proto)) {
      log.error('Invalid HTTP version number', { version: proto });
      reason ??= 'body';
    }
    const ssl = trace.tls;
    if (ssl && options.failIfSsl) {
      log.error('Final request was over SSL');
      reason ??= 'body';
    } else if (!ssl && options.failIfNotSsl) {
      log.error('Final request was not over SSL');
      reason ??= 'body';
    }
    logTimings(log, traces);
    const contentLengthHeader = response.headers['content-length'];
    const contentLength = contentLengthHeader !== undefined && /^\d+$/.test(contentLengthHeader) ? Number(contentLengthHeader) : -1;
    return result(reason, {
      statusCode,
      contentLength,
      uncompressedBodyLength: body.bytes,
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
