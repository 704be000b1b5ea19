/**
 * Go's text for the errors statfs(2) can give (syscall.Errno.Error() on Linux), because
 * node_exporter puts err.Error() in the device_error label and the series must be identical.
 * Node reports the same errors by code name ("EACCES") and a negative errno.
 */
const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  // statfs(2) itself
  EACCES: 'permission denied',
  EBADF: 'bad file descriptor',
  EFAULT: 'bad address',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOENT: 'no such file or directory',
  ENOMEM: 'cannot allocate memory',
  ENOSYS: 'function not implemented',
  ENOTDIR: 'not a directory',
  EOVERFLOW: 'value too large for defined data type',
  // what network and FUSE filesystems pass through
  EPERM: 'operation not permitted',
  EINVAL: 'invalid argument',
  EAGAIN: 'resource temporarily unavailable',
  EBUSY: 'device or resource busy',
  ENODEV: 'no such device',
  ENXIO: 'no such device or address',
  ENOLINK: 'link has been severed',
  ECOMM: 'communication error on send',
  EPROTO: 'protocol error',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  ECONNABORTED: 'software caused connection abort',
  ECONNRESET: 'connection reset by peer',
  ECONNREFUSED: 'connection refused',
  ENOTCONN: 'transport endpoint is not connected',
  ETIMEDOUT: 'connection timed out',
  EHOSTDOWN: 'host is down',
  EHOSTUNREACH: 'no route to host',
  ENETDOWN: 'network is down',
  ENETUNREACH: 'network is unreachable',
  ESTALE: 'stale file handle',
  EREMOTEIO: 'remote I/O error',
  EDQUOT: 'disk quota exceeded',
  ENOMEDIUM: 'no medium found',
  EKEYEXPIRED: 'key has expired',
  ENOKEY: 'required key not available',
  ECANCELED: 'operation canceled',
};

/** Go's text for an error from Node's fs: its code if known, else Go's fallback "errno N". */
export function goErrnoText(code: string | undefined, errno: number | undefined, message: string): string {
  const known = code === undefined ? undefined : GO_ERRNO_TEXT[code];
  if (known !== undefined) return known;
  if (errno !== undefined && Number.isInteger(errno) && errno !== 0) return `errno ${Math.abs(errno)}`;
  return message;
}
