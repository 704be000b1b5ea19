/**
 * A TCP server speaking a small line protocol, the target of the tcp prober tests: it greets
 * with "SVC READY <name>", answers "ECHO <text>" with "<text>", "STARTTLS" with "OK starttls"
 * and then a TLS handshake (when it has a certificate), "QUIT" with "BYE" and a close. With
 * `tls: true` it speaks TLS from the first byte. Only on 127.0.0.1, on a free port.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';

export interface LineServerOptions {
  readonly name: string;
  /** A certificate and key for TLS (from the start, or after STARTTLS). */
  readonly cert?: string;
  readonly key?: string;
  /** TLS from the first byte. */
  readonly tls?: boolean;
}

export interface LineServer {
  readonly port: number;
  /** Lines received, over all connections. */
  readonly received: string[];
  close(): Promise<void>;
}

/** Speaks the protocol on `stream`; `upgrade` turns it into TLS after STARTTLS. */
function speak(stream: Duplex, options: LineServerOptions, received: string[], upgrade?: () => Duplex): void {
  stream.on('error', () => undefined);
  stream.write(`SVC READY ${options.name}\r\n`);
  let buffer = '';
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString('utf8');
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      received.push(line);
      if (line.startsWith('ECHO ')) stream.write(`${line.slice(5)}\r\n`);
      else if (line === 'QUIT') stream.end('BYE\r\n');
      else if (line === 'STARTTLS' && upgrade) {
        stream.write('OK starttls\r\n');
        stream.off('data', onData);
        speak(upgrade(), { ...options, name: `${options.name}-tls` }, received);
        return;
      } else stream.write(`ERR unknown command\r\n`);
    }
  };
  stream.on('data', onData);
}

export async function startLineServer(options: LineServerOptions): Promise<LineServer> {
  const received: string[] = [];
  const context = options.cert && options.key ? createSecureContext({ cert: readFileSync(options.cert), key: readFileSync(options.key) }) : undefined;
  const streams = new Set<Duplex>();
  const track = (stream: Duplex): void => {
    streams.add(stream);
    stream.once('close', () => streams.delete(stream));
  };
  let server: Server;
  if (options.tls) {
    if (!options.cert || !options.key) throw new Error('a TLS line server needs cert and key');
    server = createTlsServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) }, (socket) => {
      track(socket);
      speak(socket, options, received);
    });
    // A client that gives up during the handshake is not the server's problem.
    server.on('tlsClientError', () => undefined);
  } else {
    server = createServer((socket: Socket) => {
      track(socket);
      const upgrade = (): Duplex => {
        const secure = new TLSSocket(socket, { isServer: true, ...(context ? { secureContext: context } : {}) });
        secure.on('error', () => secure.destroy());
        return secure;
      };
      speak(socket, options, received, context ? upgrade : undefined);
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.destroy();
        server.close(() => resolve());
      }),
  };
}
