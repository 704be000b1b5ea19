/**
 * Serves the HTTP server's connections over TLS, with the TLS settings of the web config in force
 * when each connection starts (exporter-toolkit reads them per handshake). The HTTP server keeps
 * listening itself, so its connection tracking, timeouts and shutdown stay as they are; each raw
 * connection goes through a tls.Server (which does the handshake and client verification) and
 * reaches HTTP only once it is secure and passes the checks OpenSSL cannot make (tls.ts).
 *
 * Plain HTTP sent to the TLS port is answered as Go's net/http answers it: status 400 and
 * "Client sent an HTTP request to an HTTPS server.", so clients see the same as with node_exporter.
 */
import type http from 'node:http';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Logger } from '../../lib/log.js';
import type { WebConfigStore } from './store.js';
import { type TlsSettings, refusal } from './tls.js';

/** A connection that sends nothing for this long is closed (a TLS ClientHello comes at once). */
const FIRST_BYTES_TIMEOUT_MS = 10_000;
/** A TLS handshake not done by then is abandoned. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** TLS record type of a handshake: the first byte of a ClientHello. */
const TLS_HANDSHAKE_RECORD = 0x16;
/** How Go's net/http recognises plain HTTP on a TLS port: the first five bytes. */
const HTTP_STARTS = ['GET /', 'HEAD ', 'POST ', 'PUT /', 'OPTIO'];
const PLAIN_HTTP_ANSWER = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/**
 * `raw` as a stream that first gives `head` again. TLS on a net.Socket reads its file descriptor
 * directly, past any data unshifted into the JavaScript stream, so the bytes read to tell TLS
 * from plain HTTP must be handed over in a stream of their own.
 */
function replaying(head: Buffer, raw: net.Socket): Duplex {
  const stream = new Duplex({
    read: () => void raw.resume(),
    write: (chunk: Buffer, _encoding, done) => void raw.write(chunk, done),
    final: (done) => void raw.end(done),
    destroy: (err, done) => {
      raw.destroy(err ?? undefined);
      done(err);
    },
  });
  stream.push(head);
  raw.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  raw.on('error', (err) => stream.destroy(err));
  return stream;
}

export interface TlsListener {
  /** Destroys connections still before or in their handshake. */
  close(): void;
}

export function serveOverTls(server: http.Server, store: WebConfigStore, log: Logger): TlsListener {
  const serveHttp = server.listeners('connection')[0] as (socket: net.Socket) => void;
  server.removeAllListeners('connection');
  let applied: TlsSettings | undefined;
  const handshaker = tls.createServer({ handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  const settle = (settings: TlsSettings): void => {
    if (settings === applied) return;
    handshaker.setSecureContext(settings.options);
    // setSecureContext keeps requestCert and rejectUnauthorized from the constructor: set them here.
    Object.assign(handshaker, { requestCert: settings.options.requestCert, rejectUnauthorized: settings.options.rejectUnauthorized });
    applied = settings;
  };
  settle(store.current.tls!);
  handshaker.on('secureConnection', (socket: tls.TLSSocket) => {
    const why = refusal(applied!, socket);
    if (why !== undefined) {
      log.debug('TLS connection refused', { err: why });
      socket.destroy();
      return;
    }
    serveHttp.call(server, socket);
  });
  handshaker.on('tlsClientError', (err, socket) => {
    log.debug('TLS handshake error', { err });
  });

  const pending = new Set<net.Socket>();
  server.on('connection', (raw: net.Socket) => {
    pending.add(raw);
    raw.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => raw.destroy());
    raw.once('close', () => pending.delete(raw));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head[0] !== TLS_HANDSHAKE_RECORD && head.length < 5) return;
      raw.off('data', onData);
      raw.pause();
      raw.setTimeout(0);
      if (head[0] !== TLS_HANDSHAKE_RECORD) {
        pending.delete(raw);
        if (HTTP_STARTS.includes(head.subarray(0, 5).toString('latin1'))) raw.end(PLAIN_HTTP_ANSWER);
        else raw.destroy();
        return;
      }
      void store.refresh().then((web) => {
        pending.delete(raw);
        if (raw.destroyed) return;
        if (web.tls) settle(web.tls);
        handshaker.emit('connection', replaying(head, raw));
      });
    };
    raw.on('data', onData);
  });
  return {
    close() {
      for (const raw of pending) raw.destroy();
      pending.clear();
    },
  };
}
