/** What the launchers' V8 flags allow: the young generation's committed size at most. */

/** Two semi-spaces of `--max-semi-space-size` MiB each; throws when the flags have none. */
export function youngGenerationCapBytes(flags: readonly string[]): number {
  const semi = flags.map((f) => /^--max-semi-space-size=(\d+)$/.exec(f)?.[1]).find((v) => v !== undefined);
  if (semi === undefined) throw new Error(`no --max-semi-space-size in ${flags.join(' ')}`);
  return 2 * Number(semi) * 1024 * 1024;
}
