/**
 * The tcp prober (blackbox_exporter's prober/tcp.go): connect to host:port (after resolving
 * the host with the module's IP protocol preference), optionally over TLS, then hold the
 * query_response conversation (tcp-query.ts). The address connected to is held to the guard.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { ProberTlsConfig, TcpProbeOptions } from './tcp-options.js';
import { resolveAdmitted } from './resolve.js';
import { ResultBuilder } from './result.js';
import { loadTlsMaterial, type TlsMaterial, tlsMaterialOptions } from './tls-material.js';
import { converse, type ConversationFailure } from './tcp-query.js';
import { certificateExpiries, tlsVersionName } from './tls-peer.js';
import type { FailureReason, Prober, ProbeResult, TcpDetails, TcpTlsDetails } from './types.js';


/** Go's net.SplitHostPort for the forms a target takes: "host:port", "[v6]:port". */
export function splitHostPort(target: string): { host: string; port: string } | undefined {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(target) ?? /^([^:[\]]*):([^:[\]]*)$/.exec(target);
  if (!m) return undefined;
  return { host: m[1] as string, port: m[2] as string };
}

/** A port as Go's dialer takes it: a decimal number 0..65535 (service names are not looked up). */
export function parsePort(port: string): number | undefined {
  return /^\d{1,5}$/.test(port) && Number(port) <= 65535 ? Number(port) : undefined;
}

/** Go's time.Time{}.Unix(): what blackbox reports for a chain expiry it has no chain for. */
export const GO_ZERO_TIME_UNIX = -62135596800;

/** blackbox's TLS series of a connection: the certificates the server sent, and the verified chain. */
export function tcpTlsDetails(socket: TLSSocket): TcpTlsDetails {
  const expiries = certificateExpiries(socket);
  return {
    version: tlsVersionName(socket.getProtocol()) ?? 'unknown',
    earliestExpiry: expiries.sent ?? GO_ZERO_TIME_UNIX,
    lastChainExpiry: expiries.verified ?? GO_ZERO_TIME_UNIX,
  };
}

/** Node's TLS options for tls_config, with its material loaded for this probe. */
export function tlsConnectionOptions(config: ProberTlsConfig, targetHost: string, material: TlsMaterial): ConnectionOptions {
  const name = config.serverName ?? targetHost;
  return {
    rejectUnauthorized: !config.insecureSkipVerify,
    // Node refuses an IP address as SNI; Go sends none for one either.
    ...(name !== '' && isIP(name) === 0 ? { servername: name } : {}),
    checkServerIdentity: (_host, cert) => checkServerIdentity(name, cert),
    ...tlsMaterialOptions(material, config.material),
  };
}

/** The TLS handshake over `socket`; rejects with the handshake's error. */
export function handshake(socket: Duplex, options: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ ...options, socket });
    const fail = (err: Error): void => {
      secure.destroy();
      reject(err);
    };
    secure.once('error', fail);
    secure.once('close', () => fail(new Error('connection closed during the TLS handshake')));
    secure.once('secureConnect', () => {
      secure.off('error', fail);
      secure.removeAllListeners('close');
      // A later error surfaces through the reader; this keeps it from being unhandled meanwhile.
      secure.on('error', () => undefined);
      resolve(secure);
    });
  });
}

/** A TCP connection to address:port (from `source` when set); rejects with the dial error. */
export function dial(address: string, port: number, family: 4 | 6, source: string | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port, family, ...(source !== undefined ? { localAddress: source } : {}) });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

const FAILURE_REASON: Record<ConversationFailure, FailureReason> = { expect: 'expect', read: 'connect', send: 'connect', tls: 'tls' };

export const probeTcp: Prober<TcpProbeOptions> = async (target, options, signal, log, env) => {
  const outcome = new ResultBuilder();
  let tcp: TcpDetails = { failedDueToRegex: false, failedDueToBytes: false };
  const open = new Set<Duplex>();
  const result = (reason: FailureReason | undefined): ProbeResult => {
    closeAll();
    return outcome.result(reason !== undefined && signal.aborted ? 'timeout' : reason, { tcp });
  };
  // Outermost first: a TLS socket ends the one it wraps; ending the inner one under it first
  // leaves the TLS wrap with a dead stream.
  const closeAll = (err?: Error): void => {
    for (const s of [...open].reverse()) s.destroy(err);
  };
  // The deadline ends whatever the probe is waiting on: the dial, the handshake, a read.
  const onAbort = (): void => closeAll(new Error('context deadline exceeded'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) return result('timeout');
    const split = splitHostPort(target);
    const port = split ? parsePort(split.port) : undefined;
    if (!split || port === undefined) {
      log.error('Error splitting target address and port', { err: split ? `unknown port ${JSON.stringify(split.port)}` : `address ${target}: missing port in address` });
      return result('error');
    }
    const resolution = await resolveAdmitted(split.host, options, outcome, { signal, log, lookups: env.lookups });
    if (!resolution.ok) return result(resolution.reason);
    let material: TlsMaterial = {};
    if (options.tls || options.queryResponse.some((q) => q.startTls)) {
      try {
        // Read at each probe, as blackbox builds its TLS config per probe; before any handshake.
        material = await loadTlsMaterial(options.tlsConfig.material);
      } catch (err) {
        log.error('Error creating TLS configuration', { err: (err as Error).message });
        return result('error');
      }
    }
    let socket: Duplex;
    try {
      const plain = await dial(resolution.address, port, resolution.family, options.sourceIpAddress);
      open.add(plain);
      socket = plain;
      if (signal.aborted) return result('timeout');
    } catch (err) {
      log.error('Error dialing TCP', { err: (err as Error).message });
      return result('connect');
    }
    const tlsOptions = (): ConnectionOptions => tlsConnectionOptions(options.tlsConfig, split.host, material);
    if (options.tls) {
      try {
        const secure = await handshake(socket, tlsOptions());
        open.add(secure);
        socket = secure;
        tcp = { ...tcp, tls: tcpTlsDetails(secure) };
      } catch (err) {
        log.error('Error dialing TCP', { err: (err as Error).message });
        return result('tls');
      }
    }
    log.debug('Successfully dialed');
    const conversation = await converse(
      socket,
      options.queryResponse,
      async (plain) => {
        const secure = await handshake(plain, tlsOptions());
        open.add(secure);
        return { socket: secure, tls: tcpTlsDetails(secure) };
      },
      log,
    );
    tcp = {
      failedDueToRegex: conversation.failedDueToRegex,
      failedDueToBytes: conversation.failedDueToBytes,
      ...(conversation.tls ?? tcp.tls ? { tls: (conversation.tls ?? tcp.tls) as TcpTlsDetails } : {}),
    };
    return result(conversation.failure ? FAILURE_REASON[conversation.failure] : undefined);
  } catch (err) {
    log.error('TCP probe failed unexpectedly', { err: (err as Error).message });
    return result('error');
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
};
