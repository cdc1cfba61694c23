import { Command, CommanderError } from 'commander';
import { isFhirgenError } from '../errors';
import { registerCastCommand } from './cast-command';
import { registerDefinitionsCommands } from './definitions-command';
import { registerGenerateCommand } from './generate-command';
import { type GlobalOptions, readVersion } from './options';
import { registerProjectCommand } from './project-command';
import { registerValidateCommand } from './validate-command';

/** Builds the commander program. Commands only parse and call the library; errors surface here. */
export function buildProgram(): Command {
  const program = new Command('fhirgen')
    .description(
      'Generate typed FHIR classes, strict validators and secure FHIR servers for DSTU2, STU3 and R4',
    )
    .version(readVersion(), '-V, --version', 'print the fhirgen version')
    .option('--registry <url>', 'FHIR package registry (env FHIRGEN_REGISTRY)')
    .option('--cache <dir>', 'FHIR package cache folder (env FHIRGEN_CACHE, default ~/.fhir/packages)')
    .option('--verbose', 'print stack traces and details of failures')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDefinitionsCommands(program);
  registerProjectCommand(registerGenerateCommand(program));
  registerCastCommand(program);
  registerValidateCommand(program);
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 problems found, 2 usage/input, 3 network. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return reportError(error, program.opts<GlobalOptions>().verbose === true);
  }
}

function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help / version text).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isFhirgenError(error)) {
    process.stderr.write(`fhirgen: ${error.describe()}\n`);
    if (verbose && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`fhirgen: unexpected failure: ${message}; rerun with --verbose and report it\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 70;
}
