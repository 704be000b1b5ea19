/**
 * Where the macOS/Windows fallback collectors get their numbers: the systeminformation calls
 * they use and two `node:os` calls, behind interfaces so tests on Linux can feed fake results.
 *
 * systeminformation runs commands for nearly every call (on Linux 4–97 processes per call; on
 * macOS sysctl, vm_stat, df, netstat, ifconfig; on Windows PowerShell), so it is only ever
 * called from a background refresher, never from a scrape, and never on Linux.
 */
import os from 'node:os';
import type { Systeminformation } from 'systeminformation';

export type SystemData = Systeminformation.SystemData;
export type BiosData = Systeminformation.BiosData;
export type BaseboardData = Systeminformation.BaseboardData;
export type ChassisData = Systeminformation.ChassisData;
export type CpuData = Systeminformation.CpuData;
export type MemData = Systeminformation.MemData;
export type FsSizeData = Systeminformation.FsSizeData;
export type NetworkStatsData = Systeminformation.NetworkStatsData;

/** The systeminformation calls the fallback collectors make. */
export interface SystemInfoSource {
  system(): Promise<SystemData>;
  bios(): Promise<BiosData>;
  baseboard(): Promise<BaseboardData>;
  chassis(): Promise<ChassisData>;
  cpu(): Promise<CpuData>;
  mem(): Promise<MemData>;
  fsSize(): Promise<FsSizeData[]>;
  /** Every interface's counters (systeminformation's `networkStats('*')`). */
  networkStats(): Promise<NetworkStatsData[]>;
}

/** The `node:os` calls they make: system calls on every OS, no process is started. */
export interface HostOs {
  cpus(): os.CpuInfo[];
  loadavg(): number[];
}

export const nodeOs: HostOs = { cpus: () => os.cpus(), loadavg: () => os.loadavg() };

/**
 * The real library, imported on first use only: importing it costs about 65 ms and 10 MB, which
 * a Linux exporter (where no fallback collector runs) should not pay.
 */
export function lazySystemInformation(): SystemInfoSource {
  let loaded: Promise<typeof import('systeminformation')> | undefined;
  const si = () => (loaded ??= import('systeminformation'));
  return {
    system: async () => (await si()).system(),
    bios: async () => (await si()).bios(),
    baseboard: async () => (await si()).baseboard(),
    chassis: async () => (await si()).chassis(),
    cpu: async () => (await si()).cpu(),
    mem: async () => (await si()).mem(),
    fsSize: async () => (await si()).fsSize(),
    networkStats: async () => (await si()).networkStats('*'),
  };
}

/** What the fallback collectors are built from; tests replace any part. */
export interface FallbackDeps {
  readonly si: SystemInfoSource;
  readonly os: HostOs;
  readonly platform: NodeJS.Platform;
  /** Pause between refreshes of changing values (memory, filesystems, network counters). */
  readonly refreshMs: number;
  /** Pause before trying a failed call for static facts (DMI, CPU model) again. */
  readonly staticRetryMs: number;
  /** A systeminformation call not settled by then counts as failed. */
  readonly callTimeoutMs: number;
}

export function defaultFallbackDeps(): FallbackDeps {
  return {
    si: lazySystemInformation(),
    os: nodeOs,
    platform: process.platform,
    refreshMs: 5_000,
    staticRetryMs: 60_000,
    callTimeoutMs: 30_000,
  };
}
