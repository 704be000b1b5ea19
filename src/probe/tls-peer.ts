/** What a TLS connection's peer showed, as the tcp and http probers both report it. */
import type { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

/** Go's name of a negotiated version ("TLS 1.3") from Node's ("TLSv1.3"); undefined if unknown. */
export function tlsVersionName(protocol: string | null): string | undefined {
  const m = /^TLSv(\d)(?:\.(\d))?$/.exec(protocol ?? '');
  return m ? `TLS ${m[1]}.${m[2] ?? '0'}` : undefined;
}

/**
 * The verified chain as Node reports it (getPeerCertificate(true)), leaf first, each certificate
 * once: what the peer sent, completed with issuers from our trust store (the root, when the
 * peer did not send it).
 */
function verifiedChain(leaf: DetailedPeerCertificate): DetailedPeerCertificate[] {
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

/** The earliest of some notAfter texts, in Unix seconds; undefined when none parses. */
function earliest(notAfters: Iterable<string>): number | undefined {
  let min: number | undefined;
  for (const text of notAfters) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) min = Math.min(min ?? Infinity, Math.floor(t / 1000));
  }
  return min;
}

/** The certificates the peer sent, leaf first (Go's PeerCertificates): X509Certificate's issuer links follow only those. */
function* sentChain(socket: TLSSocket): Generator<X509Certificate> {
  const seen = new Set<string>();
  for (let cert = socket.getPeerX509Certificate(); cert && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    yield cert;
  }
}

/**
 * blackbox's two expiries of a connection, in Unix seconds: the earliest notAfter of the
 * certificates the peer sent (probe_ssl_earliest_cert_expiry), and, once verified, of the
 * verified chain (probe_ssl_last_chain_expiry_timestamp_seconds), which ends with the root from
 * our trust store when the peer did not send it. Read once per connection, the verified chain
 * first: in Node 20, getPeerX509Certificate() takes the leaf out of the connection's peer chain,
 * after which getPeerCertificate(true) reports none.
 */
export function certificateExpiries(socket: TLSSocket): { readonly sent: number | undefined; readonly verified: number | undefined } {
  const verified = socket.authorized ? earliest(verifiedChain(socket.getPeerCertificate(true)).map((c) => c.valid_to)) : undefined;
  return { sent: earliest(Array.from(sentChain(socket), (c) => c.validTo)), verified };
}
