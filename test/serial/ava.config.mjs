// The serial phase of `npm test` (scripts/test.sh): tests that measure the machine (CPU peaks)
// or take all of it (the container stack), run one at a time after the parallel phase, so no
// other test file shares the CPUs with them. The rest of the settings are package.json's "ava".
export default {
  files: ['test/serial/**/*.test.ts'],
  typescript: { rewritePaths: { 'src/': 'build/src/', 'test/': 'build/test/' }, compile: false },
  timeout: '300s',
  concurrency: 1,
  serial: true,
};
