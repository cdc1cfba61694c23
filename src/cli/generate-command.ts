import path from 'node:path';
import type { Command } from 'commander';
import { FhirgenError } from '../errors';
import { generateModels, parseVersionList, type StageEvent } from '../generate/models';
import type { CheckResult } from '../write/index';
import { resolveLocations } from './options';

interface ModelsOptions {
  fhir: string;
  out: string;
  check?: boolean;
}

/**
 * `fhirgen generate <what>`. Returns the `generate` command so that other subcommands
 * (`generate project`) can be added next to `models`.
 */
export function registerGenerateCommand(program: Command): Command {
  const generate = program.command('generate').description('generate FHIR classes, validators and servers');
  generate
    .command('models')
    .description('regenerate the typed classes and JSON Schemas of FHIR versions into generated/<version>/')
    .option('--fhir <versions>', 'comma-separated FHIR versions (r4, stu3, dstu2)', 'r4,stu3,dstu2')
    .option('--out <dir>', 'output folder', 'generated')
    .option('--check', 'write nothing; exit 1 naming the files that are stale, missing or extra')
    .action(async (options: ModelsOptions, command: Command) => {
      const locations = resolveLocations(command);
      const started = process.hrtime.bigint();
      const result = await generateModels({
        versions: parseVersionList(options.fhir),
        outDir: path.resolve(options.out),
        check: options.check === true,
        fetch: { registry: locations.registry, cache: locations.cache },
        onStage: printStage,
      });
      const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
      if (result.check !== undefined) {
        reportCheck(result.check, options.out);
        process.stderr.write(`fhirgen: ${options.out} is up to date (${seconds} s)\n`);
      } else if (result.written !== undefined) {
        const { written, unchanged, removed } = result.written;
        process.stderr.write(
          `fhirgen: ${written.length} files written, ${unchanged.length} unchanged, ${removed.length} removed in ${options.out} (${seconds} s)\n`,
        );
      }
    });
  return generate;
}

function printStage(event: StageEvent): void {
  const ms = event.ms < 10 ? event.ms.toFixed(1) : Math.round(event.ms).toString();
  process.stderr.write(
    `fhirgen: ${event.version} ${event.stage.padEnd(7)} ${ms.padStart(6)} ms  ${event.detail}\n`,
  );
}

/** Names every stale, missing and extra file, then fails with STALE_OUTPUT (exit 1). */
function reportCheck(check: CheckResult, out: string): void {
  if (check.upToDate) return;
  const lines = [
    ...check.stale.map((file) => `stale    ${path.join(out, file)}`),
    ...check.missing.map((file) => `missing  ${path.join(out, file)}`),
    ...check.extra.map((file) => `extra    ${path.join(out, file)}`),
  ];
  for (const line of lines) process.stderr.write(`fhirgen: ${line}\n`);
  throw new FhirgenError('STALE_OUTPUT', `${lines.length} generated files are not current`, {
    location: out,
    hint: 'run `fhirgen generate models` and commit the result',
  });
}
