/**
 * Invariant figures, side by side in one run (`npm run bench invariants`), on each version's official
 * examples, interleaved rounds, medians of resources per second:
 * - structure only (the generated validators);
 * - structure, then invariants with `ele-1`/`ext-1` in JavaScript (what `fhirgen validate` runs);
 * - structure, then invariants with every constraint through the fhirpath engine (the alternative);
 * and how many constraints each version checks, and how many it does not, by reason.
 */
import path from 'node:path';
import { loadInvariantEvaluator } from '../src/invariants/index';
import { constraintCounts } from '../src/ir/constraints';
import type { FhirVersionId } from '../src/ir/types';
import { loadExamples, loadValidator } from '../test/schemas-support';
import { loadModel } from '../test/support/models';

const ROUNDS = 3;
const ROUND_MS = 1500;

function rate(run: () => void, count: number): number {
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < ROUND_MS) {
    run();
    done += count;
  }
  return (done * 1000) / (performance.now() - started);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  for (const version of ['r4', 'stu3', 'dstu2'] as FhirVersionId[]) {
    const counts = constraintCounts(await loadModel(version));
    const [validator, examples] = await Promise.all([loadValidator(version), loadExamples(version)]);
    const dir = path.join(__dirname, '..', 'generated', version);
    let started = performance.now();
    const native = loadInvariantEvaluator(dir, version);
    const startMs = performance.now() - started;
    started = performance.now();
    const engine = loadInvariantEvaluator(dir, version, { engineOnly: true });
    const engineStartMs = performance.now() - started;
    const jsons = examples.map((example) => example.json);
    const variants: Record<string, () => void> = {
      structure: () => {
        for (const json of jsons) validator.validate(json);
      },
      'structure+invariants': () => {
        for (const json of jsons) if (validator.validate(json).valid) native.check(json);
      },
      'structure+invariants (engine only)': () => {
        for (const json of jsons) if (validator.validate(json).valid) engine.check(json);
      },
    };
    const figures: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(variants)) {
        figures[name] = [...(figures[name] ?? []), rate(run, jsons.length)];
      }
    }
    const reasons = Object.entries(counts.unchecked)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    process.stdout.write(
      `${version}: ${jsons.length} examples; constraints ${counts.total}: ${counts.checked} checked, ${counts.total - counts.checked} not${reasons ? ` (${reasons})` : ''}; evaluator ready in ${startMs.toFixed(0)} ms (engine only ${engineStartMs.toFixed(0)} ms)\n`,
    );
    for (const [name, values] of Object.entries(figures)) {
      process.stdout.write(`  ${name.padEnd(36)} ${median(values).toFixed(0).padStart(6)} resources/s\n`);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
