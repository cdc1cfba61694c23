/**
 * Compiled extraction (search/index/compile.ts) against the FHIRPath engine: for every official
 * example of each version and every parameter of its type, the rows extracted with compiled paths
 * (falling back to the engine where they do not compile) are exactly the rows the engine alone
 * extracts. Also how many expressions compile, which must stay most of them.
 */
import assert from 'node:assert/strict';
import { compiles, createCompiledEvaluator, createEvaluator } from '../../src/runtime/search/index/evaluate';
import { extractParam } from '../../src/runtime/search/index/extract';
import { type FhirVersion, lookupTable } from '../../src/runtime/search/table';
import { versionExamples, versionTables } from './fixtures/search/corpus';

/** Expressions that compile, of all the indexed parameters' expressions and components (measured). */
const AT_LEAST: Record<FhirVersion, number> = { dstu2: 0.9, stu3: 0.9, r4: 0.9 };

for (const version of ['r4', 'stu3', 'dstu2'] as const) {
  describe(`search index: compiled extraction of ${version}`, function () {
    this.timeout(300_000);

    it('compiles most parameter expressions', async () => {
      const tables = await versionTables(version);
      let total = 0;
      let compiled = 0;
      for (const table of Object.values(tables)) {
        for (const def of Object.values(table.params)) {
          if (def.unsupported || !def.expression) continue;
          total++;
          if (compiles(version, def.expression)) compiled++;
          for (const component of def.components) {
            total++;
            if (compiles(version, component.expression, true)) compiled++;
          }
        }
      }
      process.stdout.write(
        `      ${version}: ${compiled} of ${total} expressions compile, ${total - compiled} fall back\n`,
      );
      assert.ok(compiled / total >= AT_LEAST[version], `${compiled} of ${total}`);
    });

    it('extracts from every official example exactly the rows the FHIRPath engine does', async () => {
      const tables = await versionTables(version);
      const examples = await versionExamples(version);
      const engine = createEvaluator(version);
      const compiled = createCompiledEvaluator(version);
      const differences: string[] = [];
      let rows = 0;
      for (const resource of examples) {
        const table = lookupTable(tables, resource.resourceType);
        if (!table) continue;
        for (const def of Object.values(table.params)) {
          if (def.unsupported || !def.expression) continue;
          const attempt = (evaluate: typeof engine) => {
            try {
              return JSON.stringify(extractParam(resource, def, evaluate));
            } catch (error) {
              return `throws ${(error as Error).message}`;
            }
          };
          const want = attempt(engine);
          const got = attempt(compiled);
          rows += want.length;
          if (got !== want) {
            differences.push(
              `${resource.resourceType}/${resource.id} ${def.code} ${def.expression}: ${got} <> ${want}`.slice(
                0,
                600,
              ),
            );
          }
        }
      }
      assert.deepEqual(differences.slice(0, 20), [], `${differences.length} differences`);
      assert.ok(rows > 0);
    });
  });
}
