/**
 * The tcp prober's conversation (blackbox_exporter's query_response): read lines until one
 * matches `expect` (or read `expect_bytes`), send a line (with the match's groups expanded into
 * it as Go's Regexp.Expand does), upgrade to TLS on `starttls`. It runs over any Duplex, so the
 * tests drive it over an in-process socket pair; the prober hands it the connected socket.
 */
import type { Duplex } from 'node:stream';
import type { UserRegex } from '../gocompat/user-regex.js';
import type { Logger } from '../lib/log.js';
import type { TcpTlsDetails } from './types.js';

export interface QueryStep {
  readonly expect?: UserRegex;
  readonly expectBytes?: string;
  readonly send?: string;
  readonly startTls: boolean;
}

/** bufio.MaxScanTokenSize: a longer line fails the read, as Go's Scanner does. */
export const MAX_LINE_BYTES = 64 * 1024;

/** Why a conversation stopped short; the prober maps these to failure reasons. */
export type ConversationFailure = 'expect' | 'read' | 'send' | 'tls';

export interface ConversationOutcome {
  readonly failure?: ConversationFailure;
  readonly failedDueToRegex: boolean;
  readonly failedDueToBytes: boolean;
  /** Of the last TLS handshake a starttls step made. */
  readonly tls?: TcpTlsDetails;
  /** The socket the conversation ended on (a TLS socket after starttls); the caller closes it. */
  readonly socket: Duplex;
}

/** Upgrades the connection to TLS (a starttls step); rejects when the handshake fails. */
export type StartTls = (socket: Duplex) => Promise<{ readonly socket: Duplex; readonly tls: TcpTlsDetails }>;

/**
 * Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}` become the group's text (empty when the
 * group does not exist or took no part), `$$` is a `$`, and a `$` starting no reference stays.
 */
export function expandTemplate(template: string, groups: readonly (string | undefined)[], named: ReadonlyMap<string, string | undefined>): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar === -1) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const rest = template.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i = dollar + 2;
      continue;
    }
    const m = /^\{([A-Za-z0-9_]+)\}/.exec(rest) ?? /^([A-Za-z0-9_]+)/.exec(rest);
    if (!m) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const name = m[1] as string;
    // Go takes a name of only digits as a group number.
    const value = /^\d+$/.test(name) ? groups[Number(name)] : named.get(name);
    out += value ?? '';
    i = dollar + 1 + m[0].length;
  }
  return out;
}

/** Reads lines and byte runs from a stream, as bufio.Scanner (lines) and conn.Read do. */
export class StreamReader {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.notify();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.notify();
  };
  private readonly onError = (err: Error): void => {
    this.error ??= err;
    this.notify();
  };

  constructor(private readonly stream: Duplex) {
    stream.on('data', this.onData);
    stream.once('end', this.onEnd);
    stream.once('close', this.onEnd);
    stream.on('error', this.onError);
  }

  /** Stops reading from the stream (before it is handed to TLS); what is buffered is dropped, as Go's is. */
  detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private waitForMore(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  /**
   * The next line without its "\n" (and a "\r" before it), the last unterminated one at the end
   * of the stream; undefined at the end; throws on a read error or a line over MAX_LINE_BYTES.
   */
  async readLine(): Promise<string | undefined> {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline !== -1) {
        let line = this.buffer.subarray(0, newline);
        this.buffer = this.buffer.subarray(newline + 1);
        if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
        return line.toString('utf8');
      }
      if (this.buffer.length > MAX_LINE_BYTES) throw new Error('bufio.Scanner: token too long');
      if (this.error) throw this.error;
      if (this.ended) {
        if (this.buffer.length === 0) return undefined;
        const last = this.buffer.toString('utf8');
        this.buffer = Buffer.alloc(0);
        return last;
      }
      await this.waitForMore();
    }
  }

  /** Exactly `n` bytes, or fewer when the stream ends first; throws on a read error. */
  async readBytes(n: number): Promise<Buffer> {
    for (;;) {
      if (this.buffer.length >= n || this.ended) {
        const out = this.buffer.subarray(0, n);
        this.buffer = this.buffer.subarray(out.length);
        return out;
      }
      if (this.error) throw this.error;
      await this.waitForMore();
    }
  }
}

function write(stream: Duplex, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Runs the steps in order over `socket`; resolves (never rejects) with where it stopped. */
export async function converse(socket: Duplex, steps: readonly QueryStep[], startTls: StartTls, log: Logger): Promise<ConversationOutcome> {
  let stream = socket;
  let reader = new StreamReader(stream);
  let failedDueToRegex = false;
  let failedDueToBytes = false;
  let tls: TcpTlsDetails | undefined;
  const outcome = (failure?: ConversationFailure): ConversationOutcome => ({
    ...(failure ? { failure } : {}),
    failedDueToRegex,
    failedDueToBytes,
    ...(tls ? { tls } : {}),
    socket: stream,
  });
  for (const [i, step] of steps.entries()) {
    log.debug('Processing query response entry', { entry_number: i });
    let send = step.send ?? '';
    if (step.expect) {
      let matched: ReturnType<UserRegex['submatches']>;
      let line: string | undefined;
      try {
        while (!matched && (line = await reader.readLine()) !== undefined) {
          log.debug('Read line', { line });
          matched = step.expect.submatches(line);
        }
      } catch (err) {
        log.error('Error reading from connection', { err: (err as Error).message });
        return outcome('read');
      }
      if (!matched) {
        failedDueToRegex = true;
        log.error('Regexp did not match', { regexp: step.expect.source, line: line ?? '' });
        return outcome('expect');
      }
      failedDueToRegex = false;
      log.debug('Regexp matched', { regexp: step.expect.source, line });
      send = expandTemplate(send, matched.groups, matched.named);
    }
    if (step.expectBytes !== undefined) {
      const expected = Buffer.from(step.expectBytes, 'utf8');
      let data: Buffer;
      try {
        data = await reader.readBytes(expected.length);
      } catch (err) {
        log.error('Error reading from connection', { err: (err as Error).message });
        return outcome('read');
      }
      if (data.length < expected.length) {
        log.error('Read less data than expected', { expected: step.expectBytes, bytes: data.toString('utf8') });
        return outcome('expect');
      }
      if (!data.equals(expected)) {
        failedDueToBytes = true;
        log.error('Bytes did not match', { expected: step.expectBytes, bytes: data.toString('utf8') });
        return outcome('expect');
      }
      failedDueToBytes = false;
    }
    if (send !== '') {
      log.debug('Sending line', { line: send });
      try {
        await write(stream, `${send}\n`);
      } catch (err) {
        log.error('Failed to send', { err: (err as Error).message });
        return outcome('send');
      }
    }
    if (step.startTls) {
      reader.detach();
      try {
        const upgraded = await startTls(stream);
        stream = upgraded.socket;
        tls = upgraded.tls;
      } catch (err) {
        log.error('TLS Handshake (client) failed', { err: (err as Error).message });
        return outcome('tls');
      }
      log.debug('TLS Handshake (client) succeeded.');
      reader = new StreamReader(stream);
    }
  }
  return outcome();
}
