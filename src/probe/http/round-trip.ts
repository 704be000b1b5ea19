/**
 * One HTTP round trip on a fresh connection (no keep-alive, no TLS session reuse), the moments
 * of it that blackbox's httptrace hooks record, and the phases summed from them.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../lib/log.js';
import { abortError, whenAborted } from '../abort.js';
import type { ConnectionOptions } from 'node:tls';
import type { FailureReason, HttpDetails } from '../types.js';
import { readTlsInfo, type TlsInfo } from './tls.js';

export type Phase = keyof HttpDetails['phases'];
/** How far a round trip got: where an error happened says what kind of failure it is. */
export type Stage = 'connect' | 'tls' | 'response';

/** Moments of one round trip (performance.now() ms), as blackbox's httptrace hooks record them. */
export interface RoundTrip {
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

export type RoundTripOutcome =
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

export interface RoundTripRequest {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | Buffer | undefined;
  readonly serverName: string;
  readonly insecureSkipVerify: boolean;
  /** The module's CA, client certificate and TLS versions (tls-material.ts's tlsMaterialOptions). */
  readonly material: ConnectionOptions;
}

/** The TLS settings of a request: verification, SNI, the module's CA, client certificate and versions. */
function tlsOptions(r: RoundTripRequest): https.RequestOptions {
  return {
    servername: isIP(r.serverName) ? '' : r.serverName,
    rejectUnauthorized: !r.insecureSkipVerify,
    ...r.material,
  };
}

/** One request on a new connection, up to its response headers. */
export function roundTrip(r: RoundTripRequest, trace: RoundTrip, signal: AbortSignal): Promise<RoundTripOutcome> {
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
      ...(tls ? tlsOptions(r) : {}),
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

/** Sums the round trips' phases with blackbox's definitions (the first resolve is added by the caller). */
export function sumPhases(traces: readonly RoundTrip[], firstResolveSeconds: number): Record<Phase, number> {
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

export function logTimings(log: Logger, traces: readonly RoundTrip[]): void {
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
