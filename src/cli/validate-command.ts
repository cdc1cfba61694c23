import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import type { OperationOutcome } from '../emit/schemas/runtime/outcome';
import type { FhirValidator } from '../emit/schemas/runtime/validator';
import { FhirgenError } from '../errors';
import { parseVersionList } from '../generate/models';
import { type InvariantEvaluator, loadInvariantEvaluator, withInvariants } from '../invariants/index';
import type { FhirVersionId } from '../ir/types';
import { type ResourceInput, readResourceInputs } from './inputs';

type Format = 'text' | 'json' | 'ndjson';

interface ValidateOptions {
  fhir: string;
  format: string;
  schemas: string;
  /** False with `--no-invariants`. */
  invariants: boolean;
}

type Input = ResourceInput;

interface Checked {
  input: Input;
  valid: boolean;
  outcome: OperationOutcome;
}

const DEFAULT_GENERATED = path.join(__dirname, '..', '..', 'generated');
const FORMATS: readonly Format[] = ['text', 'json', 'ndjson'];

/**
 * `fhirgen validate <paths...> --fhir <alias> [--format text|json|ndjson]`: validates JSON files,
 * folders of them and NDJSON files with the committed validators of `generated/<version>/schemas`.
 * Exit code: 0 all valid, 1 some invalid, 2 some input unreadable (the rest are still validated).
 */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description("validate FHIR JSON resources (files, folders, NDJSON) against a version's schemas")
    .argument('<paths...>', 'JSON or NDJSON files, or folders of them')
    .requiredOption('--fhir <version>', 'the FHIR version to validate against (r4, stu3, dstu2)')
    .option('--format <format>', 'text, json (OperationOutcome) or ndjson', 'text')
    .option('--schemas <dir>', 'the generated output root holding <version>/schemas', DEFAULT_GENERATED)
    .option('--no-invariants', 'check structure only, not the constraints (invariants) of the definitions')
    .action((paths: string[], options: ValidateOptions) => {
      const format = parseFormat(options.format);
      const [version] = parseVersionList(options.fhir) as [FhirVersionId];
      const validator = loadValidator(path.join(options.schemas, version, 'schemas'));
      const invariants = options.invariants
        ? loadInvariants(path.join(options.schemas, version), version, validator)
        : undefined;
      const checked = readResourceInputs(paths).map((input) => check(validator, invariants, input));
      process.stdout.write(render(checked, format));
      process.exitCode = exitCode(checked);
    });
}

function parseFormat(format: string): Format {
  const known = FORMATS.find((candidate) => candidate === format);
  if (known !== undefined) return known;
  throw new FhirgenError('INVALID_OPTION', `unknown format "${format}"`, {
    hint: 'use text, json or ndjson',
  });
}

function loadValidator(dir: string): FhirValidator {
  try {
    return (require(path.join(dir, 'index.ts')) as { getValidator(): FhirValidator }).getValidator();
  } catch (cause) {
    throw new FhirgenError(
      'UNREADABLE_INPUT',
      `cannot load the generated validators: ${(cause as Error).message}`,
      {
        location: dir,
        hint: 'run `fhirgen generate models`, or point --schemas at a generated folder',
        cause,
      },
    );
  }
}

function loadInvariants(dir: string, version: FhirVersionId, validator: FhirValidator): InvariantEvaluator {
  try {
    return loadInvariantEvaluator(dir, version, { validate: (resource) => validator.isValid(resource) });
  } catch (cause) {
    throw new FhirgenError(
      'UNREADABLE_INPUT',
      `cannot load the generated invariants: ${(cause as Error).message}`,
      {
        location: dir,
        hint: 'run `fhirgen generate models`, or pass --no-invariants',
        cause,
      },
    );
  }
}

function check(validator: FhirValidator, invariants: InvariantEvaluator | undefined, input: Input): Checked {
  if (input.unreadable !== undefined) {
    const issue = {
      severity: 'fatal' as const,
      code: input.unreadable.code,
      diagnostics: input.unreadable.reason,
    };
    return { input, valid: false, outcome: { resourceType: 'OperationOutcome', issue: [issue] } };
  }
  const result = validator.validate(input.json);
  const outcome = validator.outcome(result);
  if (!result.valid || invariants === undefined) return { input, valid: result.valid, outcome };
  return { input, ...withInvariants(outcome, invariants.check(input.json), validator.issueLocation) };
}

function exitCode(checked: Checked[]): number {
  if (checked.some((item) => item.input.unreadable !== undefined)) return 2;
  return checked.every((item) => item.valid) ? 0 : 1;
}

function render(checked: Checked[], format: Format): string {
  if (format === 'ndjson') {
    return checked
      .map(
        ({ input, valid, outcome }) =>
          `${JSON.stringify({ file: input.file, index: input.index, valid, outcome })}\n`,
      )
      .join('');
  }
  if (format === 'json') return `${JSON.stringify(jsonDocument(checked), null, 2)}\n`;
  return renderText(checked);
}

/** One OperationOutcome for one resource; for several, a collection Bundle of them, one per resource. */
function jsonDocument(checked: Checked[]): unknown {
  if (checked.length === 1 && checked[0] !== undefined) return checked[0].outcome;
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: checked.map(({ input, outcome }) => ({
      fullUrl: `${pathToFileURL(path.resolve(input.file)).href}#${input.index}`,
      resource: outcome,
    })),
  };
}

function renderText(checked: Checked[]): string {
  const lines: string[] = [];
  for (const { input, valid, outcome } of checked) {
    const name = /\.ndjson$/i.test(input.file) ? `${input.file}#${input.index}` : input.file;
    const issues = outcome.issue.filter((issue) => issue.severity !== 'information');
    if (valid) {
      const warnings =
        issues.length === 0 ? '' : ` (${issues.length === 1 ? '1 warning' : `${issues.length} warnings`})`;
      lines.push(`${name}: valid${warnings}`);
    } else {
      lines.push(`${name}: ${issues.length === 1 ? '1 issue' : `${issues.length} issues`}`);
    }
    for (const issue of issues) {
      const where = (issue.expression ?? issue.location ?? [])[0];
      lines.push(
        `  ${issue.severity} [${issue.code}]${where === undefined ? '' : ` ${where}`}: ${issue.diagnostics}`,
      );
    }
  }
  const valid = checked.filter((item) => item.valid).length;
  const unreadable = checked.filter((item) => item.input.unreadable !== undefined).length;
  const invalid = checked.length - valid - unreadable;
  lines.push(`${checked.length} resources: ${valid} valid, ${invalid} invalid, ${unreadable} unreadable`);
  return `${lines.join('\n')}\n`;
}
