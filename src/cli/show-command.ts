import type { Command } from 'commander';
import { fetchPackages, fhirVersionId } from '../definitions';
import { FhirgenError } from '../errors';
import { buildModel, findType, IR_RESOURCE_TYPES } from '../ir';
import { describeType } from '../ir/describe';
import { allStructures } from '../ir/lookup';
import type { FhirModel } from '../ir/types';
import { resolveLocations } from './options';

interface ShowOptions {
  json?: boolean;
}

/** `fhirgen definitions show <package> <TypeName> [--json]`. */
export function registerShowCommand(definitions: Command): void {
  definitions
    .command('show')
    .description('print the model of one resource, data type, primitive or backbone (e.g. show r4 Patient)')
    .argument('<package>', 'alias (r4, stu3, dstu2, r2, r3) or name@version')
    .argument(
      '<TypeName>',
      'a resource, data type, primitive or backbone class name (Patient, HumanName, PatientContact)',
    )
    .option('--json', 'print the IR as JSON')
    .action(async (spec: string, typeName: string, options: ShowOptions, command: Command) => {
      const { registry, cache } = resolveLocations(command);
      const packages = await fetchPackages([spec], {
        registry,
        cache,
        progress: true,
        resourceTypes: IR_RESOURCE_TYPES,
      });
      const [first] = packages;
      if (!first)
        throw new FhirgenError('PACKAGE_NOT_FOUND', `no package was loaded for ${spec}`, { location: spec });
      const model = buildModel(packages, fhirVersionId(first.fhirVersion));
      const type = findType(model, typeName);
      if (!type) throw unknownType(model, typeName, spec);
      process.stdout.write(options.json ? `${JSON.stringify(type, null, 2)}\n` : describeType(model, type));
    });
}

function unknownType(model: FhirModel, typeName: string, spec: string): FhirgenError {
  const names = [...model.primitives, ...allStructures(model)].map((type) => type.name);
  const lower = typeName.toLowerCase();
  const similar = names
    .filter((name) => name.toLowerCase() === lower || name.toLowerCase().startsWith(lower))
    .slice(0, 5);
  const hint =
    similar.length > 0
      ? `did you mean ${similar.join(', ')}? (names are case-sensitive)`
      : 'give a resource, data type, primitive or backbone class name such as Patient, HumanName or PatientContact';
  return new FhirgenError('UNKNOWN_TYPE', `FHIR ${model.version.label} has no type ${typeName}`, {
    location: spec,
    hint,
  });
}
