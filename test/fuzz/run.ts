// `npm run fuzz [-- --seed N --runs M]`: the property tests of test/dns/fuzz.test.ts at length.
// The seed is printed first, so a failure can be replayed with the same --seed and --runs; fast-check
// also prints the counterexample (shrunk) and the path that reaches it.
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { handlerProperty, parserProperty, startHarness } from './harness.js';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, runs: { type: 'string', default: '1000000' } },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 0x7fffffff);
const runs = Number(values.runs);
if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run fuzz -- [--seed N] [--runs M]  (whole numbers; runs default 1000000)');
  process.exit(2);
}
console.log(
  `fuzz: seed ${seed}, ${runs} runs per property (replay: npm run fuzz -- --seed ${seed} --runs ${runs})`,
);

const harness = await startHarness();
const kinds = new Map<string, number>();
const started = Date.now();
try {
  fc.assert(parserProperty(), { seed, numRuns: runs });
  console.log(`parser: ${runs} inputs, no exception (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const handlerStarted = Date.now();
  await fc.assert(handlerProperty(harness, kinds), { seed, numRuns: runs });
  const seconds = (Date.now() - handlerStarted) / 1000;
  console.log(
    `handler: ${runs} inputs in ${seconds.toFixed(1)} s, every reply well-formed;`,
    Object.fromEntries(kinds),
  );
  console.log(`memory: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB resident at the end`);
} catch (error) {
  console.error(error);
  console.error(`replay: npm run fuzz -- --seed ${seed} --runs ${runs}`);
  process.exitCode = 1;
} finally {
  await harness.close();
}
