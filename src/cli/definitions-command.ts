import type { Command } from 'commander';
import { registerShowCommand } from './show-command';

/** `fhirgen definitions fetch|list|show`. */
export function registerDefinitionsCommands(program: Command): void {
  const definitions = program
    .command('definitions')
    .description('fetch, list and inspect FHIR definition packages');
  registerShowCommand(definitions);
}
