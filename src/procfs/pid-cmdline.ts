/**
 * /proc/<pid>/cmdline: argv as NUL-terminated strings, empty for kernel threads and zombies. A
 * process that rewrote its argv (nginx: "nginx: master process ...") may have one long string
 * with spaces and no NULs; it stays one argument, as in prometheus/procfs.
 */
export function parsePidCmdline(text: string): string[] {
  const trimmed = text.replace(/\0+$/, '');
  return trimmed === '' ? [] : trimmed.split('\0');
}
