/** What the HTTP prober reports of a TLS connection: the version and the certificate chain's expiry. */
import type { TLSSocket } from 'node:tls';
import { certificateExpiries, tlsVersionName } from '../tls-peer.js';

export interface TlsInfo {
  readonly earliestExpiry?: number;
  readonly verifiedChainExpiry?: number;
  readonly version?: string;
}

/** The certificates the server sent (probe_ssl_earliest_cert_expiry) and, once verified, the chain (probe_ssl_last_chain_expiry_timestamp_seconds). */
export function readTlsInfo(socket: TLSSocket): TlsInfo {
  const { sent, verified } = certificateExpiries(socket);
  const version = tlsVersionName(socket.getProtocol());
  return {
    ...(sent !== undefined ? { earliestExpiry: sent } : {}),
    ...(verified !== undefined ? { verifiedChainExpiry: verified } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}
