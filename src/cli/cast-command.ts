import path from 'node:path';
import type { Command } from 'commander';
import { FhirgenError } from '../errors';
import { parseVersionList } from '../generate/models';
import { describeInput, readResourceInputs } from './inputs';

interface CastOptions {
  fhir: string;
  models: string;
}

/** What `cast` needs from a version's generated `index.ts`. */
interface GeneratedVersion {
  fromJSON(json: unknown, report: { dropped: { path: string; reason: string }[] }): { toJSON(): unknown };
}

const DEFAULT_MODELS = path.join(__dirname, '..', '..', 'generated');

/**
 * `fhirgen cast <paths...> --fhir <alias>`: casts JSON files, folders of them, or NDJSON through the
 * generated classes; prints the result (pretty JSON for one resource, NDJSON for several) and names
 * dropped properties on stderr.
 */
export function registerCastCommand(program: Command): void {
  program
    .command('cast')
    .description('cast FHIR JSON (files, folders, NDJSON) through the generated classes of a version')
    .argument('<paths...>', 'JSON or NDJSON files, or folders of them')
    .requiredOption('--fhir <version>', 'the FHIR version to cast to (r4, stu3, dstu2)')
    .option('--models <dir>', 'the generated models folder', DEFAULT_MODELS)
    .action((paths: string[], options: CastOptions) => {
      const [version] = parseVersionList(options.fhir);
      const models = loadModels(path.join(options.models, version as string));
      const inputs = readResourceInputs(paths);
      const outputs: unknown[] = [];
      let failures = 0;
      let unreadable = 0;
      for (const input of inputs) {
        const source = describeInput(input);
        if (input.unreadable !== undefined) {
          unreadable += 1;
          process.stderr.write(`fhirgen: ${source}: ${input.unreadable.reason}\n`);
          continue;
        }
        const report = { dropped: [] as { path: string; reason: string }[] };
        try {
          outputs.push(models.fromJSON(input.json, report).toJSON());
        } catch (error) {
          failures += 1;
          process.stderr.write(`fhirgen: ${source}: ${(error as Error).message}\n`);
        }
        for (const dropped of report.dropped) {
          process.stderr.write(`fhirgen: ${source}: dropped ${dropped.path} (${dropped.reason})\n`);
        }
      }
      if (outputs.length === 1 && inputs.length === 1)
        process.stdout.write(`${JSON.stringify(outputs[0], null, 2)}\n`);
      else for (const output of outputs) process.stdout.write(`${JSON.stringify(output)}\n`);
      if (unreadable > 0) {
        throw new FhirgenError(
          'UNREADABLE_INPUT',
          `${unreadable} of ${inputs.length} inputs could not be read`,
          {
            hint: 'see the messages above; the other inputs were cast',
          },
        );
      }
      if (failures > 0) {
        throw new FhirgenError(
          'INVALID_RESOURCES',
          `${failures} of ${inputs.length} resources could not be cast`,
          {
            hint: 'see the messages above',
          },
        );
      }
    });
}

function loadModels(dir: string): GeneratedVersion {
  try {
    return require(path.join(dir, 'index.ts')) as GeneratedVersion;
  } catch (cause) {
    throw new FhirgenError(
      'UNREADABLE_INPUT',
      `cannot load the generated classes: ${(cause as Error).message}`,
      {
        location: dir,
        hint: 'run `fhirgen generate models`, or point --models at a generated folder',
        cause,
      },
    );
  }
}
