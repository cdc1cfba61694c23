import type { Command } from 'commander';
import {
  type CachedPackage,
  ensurePackages,
  fhirVersionOf,
  importArchive,
  listCache,
  loadLocalDefinitions,
} from '../definitions';
import { FhirgenError } from '../errors';
import { resolveLocations } from './options';
import { registerShowCommand } from './show-command';

/** `fhirgen definitions fetch|list|show`. */
export function registerDefinitionsCommands(program: Command): void {
  const definitions = program
    .command('definitions')
    .description('fetch, list and inspect FHIR definition packages');
  registerFetchCommand(definitions);
  registerListCommand(definitions);
  registerShowCommand(definitions);
}

interface FetchCommandOptions {
  definitions?: string;
  sha256?: string;
}

function registerFetchCommand(definitions: Command): void {
  definitions
    .command('fetch')
    .description(
      'download packages and their dependencies into the cache (r4, stu3, dstu2, r2, r3 or name@version)',
    )
    .argument('[packages...]', 'aliases or name@version, e.g. r4 hl7.fhir.us.core@3.1.0')
    .option(
      '--definitions <path>',
      'a local package .tgz to put in the cache, or a .zip, folder or Bundle file to check',
    )
    .option('--sha256 <hex>', 'expected sha256 of the one package archive (downloaded or local)')
    .action(async (specs: string[], options: FetchCommandOptions, command: Command) => {
      const { registry, cache } = resolveLocations(command);
      if (specs.length === 0 && !options.definitions) {
        throw new FhirgenError('INVALID_OPTION', 'name at least one package, or give --definitions <path>', {
          hint: 'for example: fhirgen definitions fetch r4 hl7.fhir.us.core@3.1.0',
        });
      }
      if (options.definitions && specs.length > 0 && options.sha256) {
        throw new FhirgenError(
          'INVALID_OPTION',
          '--sha256 checks one archive; give packages or --definitions, not both',
        );
      }
      const fetchOptions = { registry, cache, sha256: options.sha256, progress: true };
      if (options.definitions) await fetchLocal(options.definitions, fetchOptions);
      if (specs.length > 0) printPackages(await ensurePackages(specs, fetchOptions));
    });
}

async function fetchLocal(
  source: string,
  options: { registry: string; cache: string; sha256?: string; progress: boolean },
): Promise<void> {
  if (/\.(tgz|tar\.gz)$/i.test(source)) {
    printPackages(await importArchive(source, options));
    return;
  }
  const loaded = await loadLocalDefinitions(source, { sha256: options.sha256 });
  process.stdout.write(
    `read ${loaded.resources.length} resources (FHIR ${loaded.fhirVersion}) from ${loaded.source}; ` +
      'not a package, so nothing was cached\n',
  );
}

const ORIGIN_WORDS: Record<CachedPackage['origin'], string> = {
  registry: 'fetched',
  cache: 'cached ',
  file: 'added  ',
};

function printPackages(packages: CachedPackage[]): void {
  for (const entry of packages) {
    const fhir = fhirVersionOf(entry.manifest);
    process.stdout.write(
      `${ORIGIN_WORDS[entry.origin]} ${entry.id.name}@${entry.id.version} (FHIR ${fhir})  ${entry.dir}\n`,
    );
  }
}

function registerListCommand(definitions: Command): void {
  definitions
    .command('list')
    .description('list the packages in the cache, with version, FHIR version and size')
    .action((_options: unknown, command: Command) => {
      const { cache } = resolveLocations(command);
      const entries = listCache(cache);
      if (entries.length === 0) {
        process.stdout.write(`no packages in ${cache}; add some with: fhirgen definitions fetch r4\n`);
        return;
      }
      const rows = entries.map((entry) => [
        entry.id.name,
        entry.id.version,
        entry.fhirVersion,
        `${(entry.size / 1_048_576).toFixed(1)} MB`,
      ]);
      printTable(['package', 'version', 'FHIR', 'size'], rows);
      process.stdout.write(`${entries.length} package(s) in ${cache}\n`);
    });
}

function printTable(header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  for (const row of all) {
    const cells = row.map((cell, column) =>
      column === row.length - 1 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
    );
    process.stdout.write(`${cells.join('  ')}\n`);
  }
}
