/**
 * A tcp module's or check's fields as the tcp prober's options: apart from the prober, so that
 * configs are read without loading it until a tcp probe runs.
 */
import type { CheckConfig, ProbeModule } from '../config/schema.js';
import type { QueryStep } from './tcp-query.js';
import { type TlsMaterialSources, tlsMaterialSources } from './tls-material.js';
import type { IpProtocol, ProbeGuard } from './types.js';

export type TcpCheckConfig = Extract<CheckConfig, { protocol: 'tcp' }>;
type TcpModule = ProbeModule['tcp'];

/** prometheus/common's tls_config: verification, SNI, and the material read at each probe. */
export interface ProberTlsConfig {
  readonly insecureSkipVerify: boolean;
  readonly serverName?: string;
  readonly material?: TlsMaterialSources;
}

export interface TcpProbeOptions {
  readonly preferredIpProtocol: IpProtocol;
  readonly ipProtocolFallback: boolean;
  readonly sourceIpAddress?: string;
  readonly queryResponse: readonly QueryStep[];
  /** TLS from the first byte (not a starttls step). */
  readonly tls: boolean;
  readonly tlsConfig: ProberTlsConfig;
  readonly guard?: ProbeGuard;
}

type TcpFields = Omit<TcpModule, never>;

export function proberTlsConfig(c: TcpModule['tls_config']): ProberTlsConfig {
  const material = tlsMaterialSources(c);
  return {
    insecureSkipVerify: c.insecure_skip_verify,
    ...(c.server_name !== undefined ? { serverName: c.server_name } : {}),
    ...(material ? { material } : {}),
  };
}

function tcpOptions(f: TcpFields): TcpProbeOptions {
  return {
    preferredIpProtocol: f.preferred_ip_protocol,
    ipProtocolFallback: f.ip_protocol_fallback,
    ...(f.source_ip_address !== undefined ? { sourceIpAddress: f.source_ip_address } : {}),
    queryResponse: f.query_response.map((q) => ({
      ...(q.expect !== undefined ? { expect: q.expect } : {}),
      ...(q.expect_bytes !== undefined ? { expectBytes: q.expect_bytes } : {}),
      ...(q.send !== undefined ? { send: q.send } : {}),
      startTls: q.starttls,
    })),
    tls: f.tls,
    tlsConfig: proberTlsConfig(f.tls_config),
  };
}

export const tcpOptionsFromModule = (module: ProbeModule): TcpProbeOptions => tcpOptions(module.tcp);
export const tcpOptionsFromCheck = (check: TcpCheckConfig): TcpProbeOptions => tcpOptions(check);
