/**
 * What reading the host can go wrong with, named once for every layer above: a file or feature
 * that is not on this machine, a process that exited while we read it, a file we may not read.
 */

/**
 * node_exporter's ErrNoData: the feature or file does not exist here. The scrape reports
 * success 0 and logs it at debug level only.
 */
export class NoDataError extends Error {
  override readonly name = 'NoDataError';
  constructor(message = 'collector returned no data') {
    super(message);
  }
}

/** A process or thread that exited between listing /proc and reading its files. */
export function isVanishedProcess(err: unknown): boolean {
  return isNotFound(err) || (err as NodeJS.ErrnoException | undefined)?.code === 'ESRCH';
}

/** EACCES or EPERM: a file we may not read (another user's, or one a security module guards). */
export function isPermissionDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
