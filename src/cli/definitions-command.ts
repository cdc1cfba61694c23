import type { Command } from 'commander';

/** `fhirgen definitions fetch|list|show`. */
export function registerDefinitionsCommands(program: Command): void {
  program.command('definitions').description('fetch, list and inspect FHIR definition packages');
}
