/** Go's time.ParseDuration, as kingpin and the YAML configs of Prometheus exporters accept durations. */
const GO_DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration ("5s", "1m30s", "250ms") to milliseconds. */
export function parseGoDuration(text: string): number {
  const whole = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))*$/;
  if (text === '0') return 0;
  if (!whole.test(text)) throw new Error(`invalid duration ${JSON.stringify(text)} (examples: 500ms, 5s, 1m30s)`);
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(m[1]) * (GO_DURATION_UNITS[m[2] as string] as number);
  }
  return ms;
}
