import {
  type SourceFileStructure,
  StructureKind,
  VariableDeclarationKind,
  type WriterFunction,
} from 'ts-morph';
import type { FhirModel, ResourceType } from '../../ir/types';
import { type ClassType, quote } from './types';
import type { CodeAlias } from './value-sets';

/** `version.ts`: which FHIR version the folder is, named in every cast error. */
export function versionFile(model: FhirModel): SourceFileStructure {
  const { id, fhirVersion, label } = model.version;
  return {
    kind: StructureKind.SourceFile,
    statements: [
      `import type { FhirVersionInfo } from './runtime';`,
      {
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: [`FHIR ${label} (${fhirVersion}), generated from ${model.version.packages.join(', ')}.`],
        declarations: [
          {
            name: 'fhirVersion',
            type: 'FhirVersionInfo',
            initializer: `{ id: ${quote(id)}, fhirVersion: ${quote(fhirVersion)}, label: ${quote(label)} }`,
          },
        ],
      },
    ],
  };
}

/** `valuesets.ts`: one union type per required ValueSet whose codes are known. */
export function valueSetsFile(aliases: CodeAlias[]): SourceFileStructure {
  return {
    kind: StructureKind.SourceFile,
    statements: aliases.map((alias) => ({
      kind: StructureKind.TypeAlias,
      name: alias.name,
      isExported: true,
      docs: [`Codes of ${alias.valueSet} (required binding).`],
      type: unionWriter(alias.codes.map(quote)),
    })),
  };
}

/** `A | B` on one line when short, else one member per line. */
function unionWriter(members: string[]): WriterFunction | string {
  if (members.length <= 4) return members.join(' | ');
  return (writer) => {
    for (const member of members) writer.newLine().write(`| ${member}`);
  };
}

/**
 * `classes/resources.ts`: the union of all resources and the registry that dispatches by `resourceType`.
 * The map is built on first lookup, after every class module has loaded, so import cycles between
 * resources (Bundle contains resources, every resource can contain others) cannot break loading.
 */
export function resourcesFile(resources: ResourceType[]): SourceFileStructure {
  const names = resources.map((resource) => resource.name);
  return {
    kind: StructureKind.SourceFile,
    statements: [
      `import type { ResourceClass, ResourceRegistry } from '../runtime';`,
      `import { fhirVersion } from '../version';`,
      ...names.map((name) => `import { ${name}, type ${name}Json } from './${name}';`),
      {
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: ['Every resource type of this version, in alphabetical order.'],
        declarations: [{ name: 'resourceTypes', initializer: listWriter(names.map(quote), ' as const') }],
      },
      {
        kind: StructureKind.TypeAlias,
        isExported: true,
        name: 'ResourceTypeName',
        type: '(typeof resourceTypes)[number]',
      },
      unionAlias('AnyResource', 'Any resource of this version.', names),
      unionAlias(
        'AnyResourceJson',
        'Any resource of this version, as FHIR JSON.',
        names.map((name) => `${name}Json`),
      ),
      {
        kind: StructureKind.Interface,
        isExported: true,
        name: 'ResourceTypeMap',
        docs: ['The class of each resource type.'],
        properties: names.map((name) => ({ name, type: name })),
      },
      `let classes: Map<string, ResourceClass> | undefined;`,
      {
        kind: StructureKind.Function,
        name: 'classOf',
        docs: ['Builds the map on first lookup, once every class module has loaded.'],
        parameters: [{ name: 'resourceType', type: 'string' }],
        returnType: 'ResourceClass | undefined',
        statements: [
          [
            'classes ??= new Map<string, ResourceClass>([',
            ...names.map((name) => `  [${quote(name)}, ${name}],`),
            ']);',
          ].join('\n'),
          'return classes.get(resourceType);',
        ],
      },
      {
        kind: StructureKind.VariableStatement,
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: ['Finds the class of a resource type of this version.'],
        declarations: [
          { name: 'registry', type: 'ResourceRegistry', initializer: '{ version: fhirVersion, classOf }' },
        ],
      },
    ],
  };
}

function unionAlias(name: string, doc: string, members: string[]) {
  return {
    kind: StructureKind.TypeAlias as const,
    isExported: true,
    name,
    docs: [doc],
    type: unionWriter(members),
  };
}

function listWriter(items: string[], suffix: string): string {
  return ['[', ...items.map((item) => `  ${item},`), `]${suffix}`].join('\n');
}

/** `classes/index.ts`: re-exports every class and its JSON interface. */
export function classesIndexFile(types: ClassType[]): SourceFileStructure {
  const names = types.map((type) => type.name).sort();
  return {
    kind: StructureKind.SourceFile,
    statements: [
      ...names.map((name) => `export { ${name}, type ${name}Json } from './${name}';`),
      `export * from './resources';`,
    ],
  };
}

/** `index.ts`: the version's entry point: all classes, and `fromJSON` dispatching by `resourceType`. */
export function versionIndexFile(model: FhirModel): SourceFileStructure {
  const { label, fhirVersion } = model.version;
  return {
    kind: StructureKind.SourceFile,
    statements: [
      `import type { AnyResource, ResourceTypeMap, ResourceTypeName } from './classes/resources';`,
      `import { registry } from './classes/resources';`,
      `import { type CastReport, castResource } from './runtime';`,
      `export * from './classes/index';`,
      `export { type CastErrorCode, type CastReport, type DroppedProperty, type DropReason, FhirCastError, type FhirVersionInfo, type JsonObject, type JsonValue } from './runtime';`,
      `export { fhirVersion } from './version';`,
      `export * from './valuesets';`,
      {
        kind: StructureKind.Function,
        isExported: true,
        name: 'fromJSON',
        docs: [
          `Casts a FHIR ${label} (${fhirVersion}) resource to its class, chosen by \`resourceType\`.\n` +
            'Throws FhirCastError naming the version and type when the type is missing or unknown;\n' +
            'pass a report to learn which properties were dropped.',
        ],
        parameters: [
          { name: 'json', type: 'unknown' },
          { name: 'report', type: 'CastReport', hasQuestionToken: true },
        ],
        returnType: 'AnyResource',
        statements: ['return castResource(registry, json, report) as AnyResource;'],
      },
      {
        kind: StructureKind.Function,
        isExported: true,
        name: 'castAs',
        typeParameters: [{ name: 'T', constraint: 'ResourceTypeName' }],
        docs: [
          "Casts a resource that must be of type `resourceType` (a route's type): another type throws\n" +
            'FhirCastError `WRONG_RESOURCE_TYPE`.',
        ],
        parameters: [
          { name: 'resourceType', type: 'T' },
          { name: 'json', type: 'unknown' },
          { name: 'report', type: 'CastReport', hasQuestionToken: true },
        ],
        returnType: 'ResourceTypeMap[T]',
        statements: ['return castResource(registry, json, report, resourceType) as ResourceTypeMap[T];'],
      },
      {
        kind: StructureKind.Function,
        isExported: true,
        name: 'isResourceType',
        docs: ['Whether `name` is a resource type of this version.'],
        parameters: [{ name: 'name', type: 'string' }],
        returnType: 'name is ResourceTypeName',
        statements: ['return registry.classOf(name) !== undefined;'],
      },
    ],
  };
}
