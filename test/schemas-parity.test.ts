import assert from 'node:assert/strict';
import { buildMutants } from './schemas-mutants';
import { compiledValidator, findExample, loadExamples, loadValidator, VERSIONS } from './schemas-support';
import { loadModel } from './support/models';

/**
 * The validators generated ahead of time (ajv standalone code, split into modules) lose nothing: on every
 * official example and every mutant they give exactly the result ajv gives compiling the schema document
 * built from the IR at run time, issue codes, paths and messages included.
 */
describe('validators generated ahead of time agree with ajv compiling the document', function () {
  this.timeout(300_000);

  for (const version of VERSIONS) {
    it(`${version}: same result for every example and every mutant`, async () => {
      const [model, examples, generated, compiled] = await Promise.all([
        loadModel(version),
        loadExamples(version),
        loadValidator(version),
        compiledValidator(version),
      ]);
      const mutants = buildMutants(
        {
          Patient: findExample(examples, 'Patient', 'example'),
          Observation: findExample(examples, 'Observation', 'example'),
        },
        model,
      );
      const inputs = [
        ...examples.map(({ file, json }) => ({ name: file, as: undefined, json })),
        ...mutants.map(({ name, as, json }) => ({ name, as, json })),
      ];
      let invalid = 0;
      for (const { name, as, json } of inputs) {
        const result = (validator: typeof generated) =>
          as === undefined ? validator.validate(json) : validator.validateAs(as, json);
        const expected = result(compiled);
        if (!expected.valid) invalid += 1;
        assert.deepEqual(result(generated), expected, name);
      }
      // Both sides of the comparison see failures, not only valid resources.
      assert.ok(invalid >= mutants.length, `${invalid} invalid`);
    });
  }
});
