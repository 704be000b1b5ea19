/**
 * node_exporter's dmi collector: node_dmi_info, labelled with the firmware's SMBIOS strings from
 * <sysfs>/class/dmi/id. They change only with a reboot, so they are read once and then served.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { desc, type MetricDesc } from '../exposition/model.js';
import { DMI_INFO_HELP, DMI_LABEL_FILES, DMI_READ_BYTES, dmiLabels, type DmiLabels } from '../sysfs/dmi.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import type { MetricSink } from './sink.js';
import { NoDataError, isNotFound, isPermissionDenied } from '../hostfs/errors.js';

/** Reads the start of one attribute file (one read, as procfs' SysReadFile does). */
export type AttributeReader = (file: string) => Promise<Uint8Array>;

function attributeReader(host: HostFs): AttributeReader {
  return async (file) => (await host.readBytes(file)).subarray(0, DMI_READ_BYTES);
}

const ATTRIBUTE_FILES = new Set(DMI_LABEL_FILES.map(([, file]) => file));

/**
 * The DMI labels under `dir`, or an empty map when the platform has no DMI (no such folder).
 * As procfs does: only regular files count (not the `subsystem` link or `power/`), files only
 * root may read are left out, and any other read error is an error.
 */
export async function readDmiLabels(dir: string, read: AttributeReader): Promise<DmiLabels> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return new Map();
    throw err;
  }
  const files = new Map<string, Uint8Array>();
  const wanted = entries.filter((e) => e.isFile() && ATTRIBUTE_FILES.has(e.name));
  await Promise.all(
    wanted.map(async ({ name }) => {
      try {
        files.set(name, await read(path.join(dir, name)));
      } catch (err) {
        if (!isPermissionDenied(err)) throw err;
      }
    }),
  );
  return dmiLabels(files);
}

export interface DmiInfo {
  readonly desc: MetricDesc;
  readonly values: readonly string[];
}

/** node_dmi_info with the labels that have values; labels absent from the map are left out. */
export function dmiInfo(labels: DmiLabels): DmiInfo {
  const present = [...labels.keys()];
  return {
    desc: desc('node_dmi_info', DMI_INFO_HELP, 'gauge', present),
    values: present.map((l) => labels.get(l) as string),
  };
}

/** Adds node_dmi_info; with no labels at all there is nothing to say (node_exporter's ErrNoData). */
export function addDmiInfo(sink: MetricSink, info: DmiInfo): void {
  if (info.values.length === 0) throw new NoDataError('no Desktop Management Interface (DMI) information');
  sink.add(info.desc, 1, ...info.values);
}

/** The dmi collector; `read` replaces the file reads in tests. */
export function createDmiCollector(read?: AttributeReader): CollectorFactory {
  return {
    name: 'dmi',
    defaultEnabled: true,
    create: ({ host, host: { paths }, log }) => {
      const dir = paths.sys('class', 'dmi', 'id');
      // Kept once read; a failed read is tried again at the next scrape.
      let info: Promise<DmiInfo> | undefined;
      const load = async (): Promise<DmiInfo> => {
        const labels = await readDmiLabels(dir, read ?? attributeReader(host));
        if (labels.size === 0) log.debug('Platform does not support Desktop Management Interface (DMI) information', { dir });
        return dmiInfo(labels);
      };
      return {
        async update(sink) {
          info ??= load().catch((err: Error) => {
            info = undefined;
            throw new Error(`failed to read Desktop Management Interface (DMI) information: ${err.message}`, { cause: err });
          });
          addDmiInfo(sink, await info);
        },
      };
    },
  };
}

export const dmiCollector: CollectorFactory = createDmiCollector();
