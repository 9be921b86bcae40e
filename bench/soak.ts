// npm run soak -- --seconds 600 [--rate 1000] [--changes 100] [--api-restart-every 30]
// [--stall-every 45] [--fuzz 100]: the built server under checked load while its registries churn
// and fail, its upstream stalls and garbage arrives (bench/soak/run.ts). Prints a summary table;
// exits 1 if any answer was wrong, the server exited, its memory grew 10 % or more after warm-up,
// or it took more than 2 s to answer at full rate again after a fault.
import { parseArgs } from 'node:util';
import { formatReport, runSoak, SOAK_DEFAULTS } from './soak/run.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: String(SOAK_DEFAULTS.seconds) },
    rate: { type: 'string', default: String(SOAK_DEFAULTS.rate) },
    changes: { type: 'string', default: String(SOAK_DEFAULTS.changesPerSecond) },
    'api-restart-every': { type: 'string', default: String(SOAK_DEFAULTS.apiRestartEverySeconds) },
    'stall-every': { type: 'string', default: String(SOAK_DEFAULTS.stallEverySeconds) },
    fuzz: { type: 'string', default: String(SOAK_DEFAULTS.fuzzPerSecond) },
  },
});

function positive(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`soak: --${name}: "${values[name]}": expected a positive number\n`);
    process.exit(2);
  }
  return value;
}

const report = await runSoak({
  seconds: positive('seconds'),
  rate: positive('rate'),
  changesPerSecond: positive('changes'),
  apiRestartEverySeconds: positive('api-restart-every'),
  stallEverySeconds: positive('stall-every'),
  fuzzPerSecond: positive('fuzz'),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`\n${formatReport(report)}\n`);
process.exit(report.failures.length ? 1 : 0);
