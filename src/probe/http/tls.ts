/** What the HTTP prober reports of a TLS connection: the version and the certificate chain's expiry. */
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

export interface TlsInfo {
  readonly earliestExpiry?: number;
  readonly verifiedChainExpiry?: number;
  readonly version?: string;
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
