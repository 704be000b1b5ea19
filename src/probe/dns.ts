/**
 * The dns prober (blackbox_exporter's prober/dns.go): one query to the target DNS server over
 * UDP or TCP, the message encoded and decoded by dns-packet; the answer's rcode and records are
 * then checked (dns-records.ts). The target is the server: its address, after resolution, is
 * held to the guard.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DnsProbeOptions } from './dns-options.js';
import { rrString, type RrValidator, validRcode, validRrs } from './dns-records.js';
import { resolveAdmitted } from './resolve.js';
import { ResultBuilder } from './result.js';
import { dial, parsePort } from './tcp.js';
import type { DnsDetails, FailureReason, Prober, ProbeResult } from './types.js';


/** A DNS server target: "host", "host:port", "[v6]:port" or a bare IPv6 address; port 53 by default. */
export function splitServer(target: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(target);
  if (bracketed) return { host: bracketed[1] as string, port: bracketed[2] as string };
  const plain = /^([^:]*):([^:]*)$/.exec(target);
  if (plain) return { host: plain[1] as string, port: plain[2] as string };
  return { host: target, port: '53' };
}

/** The query blackbox sends: one question, a random id, RD as configured, no EDNS. */
export function encodeQuery(options: DnsProbeOptions, id: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: options.recursionDesired ? dnsPacket.RECURSION_DESIRED : 0,
    questions: [{ name: options.queryName.replace(/\.$/, '') || '.', type: options.queryType as dnsPacket.RecordType, class: options.queryClass as dnsPacket.RecordClass }],
  });
}

/** The header's rcode field (dns-packet reports it as a name). */
function rcodeOf(message: Buffer): number {
  return (message.readUInt16BE(2) & 0x000f) as number;
}

interface Exchange {
  readonly response: Buffer;
  readonly connectSeconds: number;
  readonly requestSeconds: number;
}

class ExchangeError extends Error {
  constructor(
    message: string,
    readonly connectSeconds: number,
    readonly requestSeconds: number,
    readonly reason: FailureReason,
  ) {
    super(message);
  }
}

const seconds = (from: number, to: number = performance.now()): number => (to - from) / 1000;

/** One query over UDP on a connected socket: the first datagram with our id is the answer. */
function exchangeUdp(address: string, port: number, family: 4 | 6, source: string | undefined, query: Buffer, id: number, signal: AbortSignal): Promise<Exchange> {
  const started = performance.now();
  let sent: number | undefined;
  return new Promise<Exchange>((resolve, reject) => {
    const socket: UdpSocket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const fail = (err: Error, reason: FailureReason): void => {
      cleanup();
      const now = performance.now();
      reject(new ExchangeError(err.message, seconds(started, sent ?? now), sent !== undefined ? seconds(sent, now) : 0, reason));
    };
    const onAbort = (): void => fail(new Error('i/o timeout'), 'timeout');
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // A connected UDP socket hears the ICMP "port unreachable" of a closed port as ECONNREFUSED.
    socket.on('error', (err) => fail(err, 'connect'));
    socket.on('message', (msg) => {
      if (msg.length < 2 || msg.readUInt16BE(0) !== id) return;
      const done = performance.now();
      cleanup();
      resolve({ response: msg, connectSeconds: seconds(started, sent ?? done), requestSeconds: seconds(sent ?? done, done) });
    });
    const connect = (): void =>
      socket.connect(port, address, () => {
        sent = performance.now();
        socket.send(query, (err) => {
          if (err) fail(err, 'connect');
        });
      });
    if (source !== undefined) socket.bind({ address: source, port: 0 }, connect);
    else connect();
    if (signal.aborted) onAbort();
  });
}

/** One query over TCP: two-byte length, message, and the same back. */
async function exchangeTcp(address: string, port: number, family: 4 | 6, source: string | undefined, query: Buffer, signal: AbortSignal): Promise<Exchange> {
  const started = performance.now();
  let socket: Socket;
  const onAbort = (): void => {
    socket?.destroy(new Error('i/o timeout'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    try {
      socket = await dial(address, port, family, source);
    } catch (err) {
      throw new ExchangeError((err as Error).message, seconds(started), 0, signal.aborted ? 'timeout' : 'connect');
    }
    if (signal.aborted) socket.destroy();
    const sent = performance.now();
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.write(Buffer.concat([length, query]));
    const response = await new Promise<Buffer>((resolve, reject) => {
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) resolve(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
      });
      socket.once('close', () => reject(new Error(signal.aborted ? 'i/o timeout' : 'EOF')));
      socket.on('error', () => undefined);
    }).catch((err: Error) => {
      throw new ExchangeError(err.message, seconds(started, sent), seconds(sent), signal.aborted ? 'timeout' : 'connect');
    });
    return { response, connectSeconds: seconds(started, sent), requestSeconds: seconds(sent) };
  } finally {
    signal.removeEventListener('abort', onAbort);
    socket!?.destroy();
  }
}

export const probeDns: Prober<DnsProbeOptions> = async (target, options, signal, log, env) => {
  const outcome = new ResultBuilder();
  const phases = { resolve: 0, connect: 0, request: 0 };
  let counts: Omit<DnsDetails, 'phases'> = { querySucceeded: false, answerRrs: 0, authorityRrs: 0, additionalRrs: 0 };
  const result = (reason: FailureReason | undefined): ProbeResult =>
    outcome.result(reason !== undefined && signal.aborted ? 'timeout' : reason, { dns: { phases: { ...phases }, ...counts } });
  try {
    if (signal.aborted) return result('timeout');
    const server = splitServer(target);
    const resolution = await resolveAdmitted(server.host, options, outcome, { signal, log, lookups: env.lookups });
    // The lookup's time counts once an address was found, even one the guard then refused.
    if (resolution.ok || resolution.reason === 'permission') phases.resolve = resolution.lookupSeconds;
    if (!resolution.ok) return result(resolution.reason);
    const port = parsePort(server.port);
    if (port === undefined) {
      log.error('Error while sending a DNS query', { err: `dial ${options.transport}: unknown port ${JSON.stringify(server.port)}` });
      return result('error');
    }
    const id = randomInt(0, 0x10000);
    const query = encodeQuery(options, id);
    log.debug('Making DNS query', { target: `${resolution.address}:${port}`, dial_protocol: `${options.transport}${resolution.family}`, query: options.queryName, type: options.queryType, class: options.queryClass });
    let exchange: Exchange;
    try {
      exchange =
        options.transport === 'udp'
          ? await exchangeUdp(resolution.address, port, resolution.family, options.sourceIpAddress, query, id, signal)
          : await exchangeTcp(resolution.address, port, resolution.family, options.sourceIpAddress, query, signal);
    } catch (err) {
      const e = err instanceof ExchangeError ? err : new ExchangeError((err as Error).message, 0, 0, 'error');
      phases.connect = e.connectSeconds;
      phases.request = e.requestSeconds;
      log.error('Error while sending a DNS query', { err: e.message });
      return result(e.reason);
    }
    phases.connect = exchange.connectSeconds;
    phases.request = exchange.requestSeconds;
    let decoded: dnsPacket.DecodedPacket;
    try {
      decoded = dnsPacket.decode(exchange.response);
    } catch (err) {
      log.error('Error while sending a DNS query', { err: `dns: bad message: ${(err as Error).message}` });
      return result('dns_answer');
    }
    if (decoded.id !== id) {
      log.error('Error while sending a DNS query', { err: 'dns: id mismatch' });
      return result('dns_answer');
    }
    const answers = decoded.answers ?? [];
    const authorities = decoded.authorities ?? [];
    const additionals = decoded.additionals ?? [];
    counts = {
      querySucceeded: true,
      answerRrs: answers.length,
      authorityRrs: authorities.length,
      additionalRrs: additionals.length,
      ...(options.queryType === 'SOA' ? { soaSerial: answers.reduce((serial, rr) => (rr.type === 'SOA' ? (rr.data.serial ?? 0) : serial), 0) } : {}),
    };
    log.debug('Got response', { rcode: rcodeOf(exchange.response), answers: answers.length, authorities: authorities.length, additionals: additionals.length });
    if (!validRcode(rcodeOf(exchange.response), options.validRcodes, log)) return result('dns_answer');
    const sections: [string, readonly dnsPacket.Answer[], RrValidator][] = [
      ['Answer', answers, options.validateAnswer],
      ['Authority', authorities, options.validateAuthority],
      ['Additional', additionals, options.validateAdditional],
    ];
    for (const [name, records, v] of sections) {
      log.debug(`Validating ${name} RRs`);
      if (!validRrs(records.map(rrString), v, log)) {
        log.error(`${name} RRs validation failed`);
        return result('dns_answer');
      }
    }
    return result(undefined);
  } catch (err) {
    log.error('DNS probe failed unexpectedly', { err: (err as Error).message });
    return result('error');
  }
};
