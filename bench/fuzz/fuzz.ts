/**
 * `npm run fuzz [-- --requests 100000 --seed 1 --concurrency 8]`: the HTTP fuzzer (runFuzz.ts) with a
 * report on stdout; exits 1 on any violation or when the valid configuration did not converge.
 */
import { parseArgs } from 'node:util';
import { runFuzz } from './runFuzz.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '8' },
  },
});
const report = await runFuzz({
  requests: Number(values.requests),
  seed: Number(values.seed),
  concurrency: Number(values.concurrency),
  progress: (line) => console.error(line),
});
console.log(JSON.stringify(report, null, 2));
process.exit(report.violations.length === 0 && report.convergedAfter ? 0 : 1);
