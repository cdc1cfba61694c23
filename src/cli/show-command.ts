import type { Command } from 'commander';

/** `fhirgen definitions show <package> <TypeName> [--json]`. */
export function registerShowCommand(_definitions: Command): void {}
