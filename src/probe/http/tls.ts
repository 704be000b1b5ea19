/** What the HTTP prober reports of a TLS connection: the version and the certificate chain's expiry. */
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { certExpiry, peerChain, tlsVersionName } from '../tls-peer.js';

export interface TlsInfo {
  readonly earliestExpiry?: number;
  readonly verifiedChainExpiry?: number;
  readonly version?: string;
}

/** Expiry (Unix seconds) of each certificate in the chain Node reports, leaf first. */
function chainExpiries(leaf: DetailedPeerCertificate): number[] {
  return peerChain(leaf)
    .map(certExpiry)
    .filter((t): t is number => t !== undefined);
}

export function readTlsInfo(socket: TLSSocket): TlsInfo {
  const expiries = chainExpiries(socket.getPeerCertificate(true));
  const earliest = expiries.length > 0 ? Math.min(...expiries) : undefined;
  const version = tlsVersionName(socket.getProtocol());
  return {
    ...(earliest !== undefined ? { earliestExpiry: earliest } : {}),
    ...(earliest !== undefined && socket.authorized ? { verifiedChainExpiry: earliest } : {}),
    ...(version !== undefined ? { version } : {}),
  };
}
