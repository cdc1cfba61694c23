/**
 * Every official example of each version, through the committed generated classes:
 * JSON -> class -> toJSON() must give the input back, property for property (key order aside).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { readTarball } from '../src/definitions/archive';
import type { FhirVersionId } from '../src/ir/types';
import { SHARED_FHIR_DIR } from './support/models';

const EXAMPLES: Record<FhirVersionId, { archive: string; count: number }> = {
  r4: { archive: 'hl7.fhir.r4.examples-4.0.1.tgz', count: 714 },
  stu3: { archive: 'hl7.fhir.r3.examples-3.0.1.tgz', count: 623 },
  dstu2: { archive: 'hl7.fhir.r2.examples-1.0.2.tgz', count: 363 },
};

/**
 * Examples that cannot round-trip because the example itself breaks its version's JSON rules, with
 * the reason. Empty: every official example round-trips.
 */
const DEFECTIVE_EXAMPLES: Record<FhirVersionId, Record<string, string>> = { r4: {}, stu3: {}, dstu2: {} };

interface Report {
  dropped: { path: string; reason: string }[];
}
interface GeneratedVersion {
  fromJSON(json: unknown, report?: Report): { toJSON(): unknown };
}

async function readExamples(archive: string): Promise<Map<string, unknown>> {
  const files = await readTarball(path.join(SHARED_FHIR_DIR, archive));
  const examples = new Map<string, unknown>();
  for (const [name, bytes] of files) {
    const file = name.slice('package/'.length);
    if (!name.startsWith('package/') || !file.endsWith('.json') || file.includes('/')) continue;
    if (file === 'package.json' || file.startsWith('.')) continue;
    examples.set(file, JSON.parse(bytes.toString('utf8')));
  }
  return examples;
}

/** The first few differences, as `path: input -> output`. */
function differences(input: unknown, output: unknown, at = '', out: string[] = []): string[] {
  if (out.length >= 3 || isDeepStrictEqual(input, output)) return out;
  if (typeof input === 'object' && input !== null && typeof output === 'object' && output !== null) {
    const keys = new Set([...Object.keys(input), ...Object.keys(output)]);
    for (const key of keys) {
      differences(
        (input as Record<string, unknown>)[key],
        (output as Record<string, unknown>)[key],
        `${at}.${key}`,
        out,
      );
    }
    return out;
  }
  out.push(`${at}: ${JSON.stringify(input)?.slice(0, 60)} -> ${JSON.stringify(output)?.slice(0, 60)}`);
  return out;
}

for (const version of ['r4', 'stu3', 'dstu2'] as const) {
  describe(`generated ${version} classes on the official examples`, () => {
    let examples: Map<string, unknown>;
    let classes: GeneratedVersion;

    before(async function () {
      this.timeout(60_000);
      examples = await readExamples(EXAMPLES[version].archive);
      classes = require(path.resolve(__dirname, '..', 'generated', version, 'index.ts'));
    });

    it(`reads all ${EXAMPLES[version].count} examples`, () => {
      assert.equal(examples.size, EXAMPLES[version].count);
    });

    it('round-trips every example, except reviewed defective ones', function () {
      this.timeout(60_000);
      const failures: string[] = [];
      const unexpectedPasses: string[] = [];
      for (const [file, json] of examples) {
        const report: Report = { dropped: [] };
        let problem: string | undefined;
        try {
          const output = classes.fromJSON(json, report).toJSON();
          if (!isDeepStrictEqual(output, json)) {
            const dropped = report.dropped.slice(0, 3).map((d) => `${d.path} ${d.reason}`);
            problem = [...dropped, ...differences(json, output)].join('; ');
          }
        } catch (error) {
          problem = (error as Error).message;
        }
        const known = DEFECTIVE_EXAMPLES[version][file];
        if (problem !== undefined && known === undefined) failures.push(`${file}: ${problem}`);
        if (problem === undefined && known !== undefined) unexpectedPasses.push(file);
      }
      assert.deepEqual(failures, [], `${failures.length} examples do not round-trip`);
      assert.deepEqual(unexpectedPasses, [], 'listed as defective but round-trip: update the list');
    });
  });
}
