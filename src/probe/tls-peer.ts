/** What a TLS connection's peer showed, as the tcp and http probers both report it. */
import type { DetailedPeerCertificate } from 'node:tls';

/** Go's name of a negotiated version ("TLS 1.3") from Node's ("TLSv1.3"); undefined if unknown. */
export function tlsVersionName(protocol: string | null): string | undefined {
  const m = /^TLSv(\d)(?:\.(\d))?$/.exec(protocol ?? '');
  return m ? `TLS ${m[1]}.${m[2] ?? '0'}` : undefined;
}

/** The chain Node reports, leaf first, each certificate once. */
export function peerChain(leaf: DetailedPeerCertificate): DetailedPeerCertificate[] {
  const out: DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(cert);
    cert = cert.issuerCertificate;
  }
  return out;
}

/** A certificate's notAfter in Unix seconds; undefined when Node's text does not parse. */
export function certExpiry(cert: DetailedPeerCertificate): number | undefined {
  const t = Date.parse(cert.valid_to);
  return Number.isFinite(t) ? Math.floor(t / 1000) : undefined;
}
