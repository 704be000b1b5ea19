import { desc } from '../exposition/model.js';
import { parseOsRelease, type OsRelease } from '../procfs/os-release.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { NoDataError, isNotFound } from '../hostfs/errors.js';

const INFO_LABELS = [
  'build_id',
  'id',
  'id_like',
  'image_id',
  'image_version',
  'name',
  'pretty_name',
  'variant',
  'variant_id',
  'version',
  'version_codename',
  'version_id',
] as const;

const osInfo = desc(
  'node_os_info',
  `A metric with a constant '1' value labeled by ${INFO_LABELS.join(', ')}.`,
  'gauge',
  INFO_LABELS,
);
const osVersion = desc('node_os_version', 'Metric containing the major.minor part of the OS version.', 'gauge', [
  'id',
  'id_like',
  'name',
]);
const osSupportEnd = desc(
  'node_os_support_end_timestamp_seconds',
  'Metric containing the end-of-life date timestamp of the OS.',
  'gauge',
);

/** Looked up under --path.rootfs, first match wins; only a missing file moves on to the next. */
const OS_RELEASE_FILES = ['etc/os-release', 'usr/lib/os-release'];

/** The os-release last parsed, with its file's version then (HostFs.fileVersion). */
interface ParsedOsRelease {
  readonly file: string;
  readonly version: string | undefined;
  readonly release: OsRelease;
}

export const osCollector: CollectorFactory = {
  name: 'os',
  defaultEnabled: true,
  create: ({ host, host: { paths } }) => {
    const files = OS_RELEASE_FILES.map((f) => paths.root(f));
    let last: ParsedOsRelease | undefined;
    return {
      async update(sink, signal) {
        last = await readOsRelease(host, files, last, signal);
        const r = last.release;
        sink.add(osInfo, 1, r.buildId, r.id, r.idLike, r.imageId, r.imageVersion, r.name, r.prettyName,
          r.variant, r.variantId, r.version, r.versionCodename, r.versionId);
        if (r.versionNumber > 0) sink.add(osVersion, r.versionNumber, r.id, r.idLike, r.name);
        if (r.supportEnd !== undefined) sink.add(osSupportEnd, r.supportEnd);
      },
    };
  },
};

/**
 * The first os-release of `files` that exists, parsed. The file is read again only when its
 * version (one stat) differs from `last`'s: reading it costs five trips through the thread pool
 * on every scrape (open, fstat, two reads, close) for a file that changes with an OS upgrade.
 */
async function readOsRelease(host: HostFs, files: readonly string[], last: ParsedOsRelease | undefined, signal: AbortSignal): Promise<ParsedOsRelease> {
  for (const file of files) {
    // A stat that fails otherwise than "missing" leaves the version unknown: the read says why.
    const version = await host.fileVersion(file, signal).catch(() => null);
    if (version === undefined) continue;
    if (version !== null && last?.file === file && last.version === version) return last;
    try {
      return { file, version: version ?? undefined, release: await host.parseFile(file, parseOsRelease, signal) };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  throw new NoDataError(`no os-release file found (${files.join(', ')})`);
}
