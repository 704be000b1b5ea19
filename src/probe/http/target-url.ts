/** What an http probe fetches for a /probe target, apart from the prober so that /probe checks targets without loading it. */

/** The URL an http probe fetches for `target`: as given, or with http:// when it has no scheme. */
export function parseTargetUrl(target: string): URL {
  const url = new URL(/^https?:\/\//i.test(target) ? target : `http://${target}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported protocol scheme ${JSON.stringify(url.protocol)}`);
  return url;
}
