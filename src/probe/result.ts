/**
 * The one way a ProbeResult is built: a prober notes what it learns (the resolution) on a
 * ResultBuilder and ends with `result(reason)`; the scheduler's write-offs use failedResult.
 */
import type { DnsDetails, FailureReason, HttpDetails, IcmpDetails, ProbeResult, TcpDetails } from './types.js';

/** The prober's own details, added to the common fields. */
export type ProberDetails = { readonly http: HttpDetails } | { readonly icmp: IcmpDetails } | { readonly tcp: TcpDetails } | { readonly dns: DnsDetails };

export class ResultBuilder {
  /** performance.now() ms when the probe began; durationSeconds counts from here. */
  private readonly started = performance.now();
  private ipProtocol: 0 | 4 | 6 = 0;
  private dnsLookupSeconds = 0;
  private ipAddress: string | undefined;

  /** How long resolution took, whether or not it succeeded. */
  lookedUp(seconds: number): void {
    this.dnsLookupSeconds = seconds;
  }

  /** The address the probe goes to, once resolution succeeded. */
  resolvedTo(address: string, family: 4 | 6): void {
    this.ipAddress = address;
    this.ipProtocol = family;
  }

  /** Success when `reason` is undefined; failure with that reason otherwise. */
  result(reason: FailureReason | undefined, details: ProberDetails): ProbeResult {
    return {
      success: reason === undefined,
      ...(reason !== undefined ? { reason } : {}),
      durationSeconds: (performance.now() - this.started) / 1000,
      ipProtocol: this.ipProtocol,
      dnsLookupSeconds: this.dnsLookupSeconds,
      ...(this.ipAddress !== undefined ? { ipAddress: this.ipAddress } : {}),
      ...details,
    };
  }
}

/** A failure no prober measured (a run written off by the scheduler): no address, no details. */
export function failedResult(reason: FailureReason, durationSeconds: number): ProbeResult {
  return { success: false, reason, durationSeconds, ipProtocol: 0, dnsLookupSeconds: 0 };
}
