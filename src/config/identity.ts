/**
 * What makes two entries the same check: its label values (protocol, target, name). The schema
 * refuses a repeat, and the uptime scheduler keeps a check's counters across reloads by it.
 * Apart from the schema, so that the scheduler does not load the schema validator (zod) on the
 * main thread.
 */
export function checkIdentity(c: { readonly protocol: string; readonly target: string; readonly name?: string | undefined }): string {
  return `${c.protocol}\u0000${c.target}\u0000${c.name ?? ''}`;
}
