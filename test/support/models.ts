/**
 * The IR of each core FHIR version, built once per test run from the packages in `../shared/fhir`
 * (read straight from their archives: no registry or cache needed). Shared objects: do not modify them.
 */
import path from 'node:path';
import { readPackageArchive } from '../../src/definitions/package';
import type { FhirResourceJson, LoadedPackage } from '../../src/definitions/types';
import { buildModel, type FhirModel, type FhirVersionId } from '../../src/ir';

export const SHARED_FHIR_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'fhir');

/** The core package archive of each version, as `../shared/fhir/README.md` lists them. */
export const CORE_ARCHIVES: Readonly<Record<FhirVersionId, string>> = {
  dstu2: 'hl7.fhir.core-1.0.2.tgz',
  stu3: 'hl7.fhir.core-3.0.1.tgz',
  r4: 'hl7.fhir.r4.core-4.0.1.tgz',
};

const models = new Map<FhirVersionId, Promise<FhirModel>>();

/** The model of one version, memoized for the whole mocha run. */
export function loadModel(versionId: FhirVersionId): Promise<FhirModel> {
  let model = models.get(versionId);
  if (!model) {
    model = readPackageArchive(path.join(SHARED_FHIR_DIR, CORE_ARCHIVES[versionId])).then((pkg) =>
      buildModel([pkg], versionId),
    );
    // A failed build is not remembered, so that a later test sees the real error again.
    model.catch(() => models.delete(versionId));
    models.set(versionId, model);
  }
  return model;
}

/** A LoadedPackage around inline resources, for IR unit tests on tiny definitions. */
export function inlinePackage(resources: object[], fhirVersion = '4.0.1'): LoadedPackage {
  return {
    id: { name: 'test.inline', version: '0.0.1' },
    manifest: { name: 'test.inline', version: '0.0.1', fhirVersions: [fhirVersion] },
    fhirVersion,
    resources: resources as FhirResourceJson[],
    source: 'inline',
  };
}

export interface TinyElement {
  path: string;
  min?: number;
  max?: string;
  type?: object[];
  [key: string]: unknown;
}

/**
 * A StructureDefinition in STU3/R4 form with the given snapshot elements (the root element is added).
 * `kind` defaults to `resource`; pass `derivation: 'constraint'` and `type` for constraints.
 */
export function tinyDefinition(
  name: string,
  elements: TinyElement[],
  options: {
    kind?: string;
    base?: string;
    abstract?: boolean;
    derivation?: string;
    type?: string;
    url?: string;
  } = {},
): object {
  const rootPath = options.type ?? name;
  return {
    resourceType: 'StructureDefinition',
    id: name,
    url: options.url ?? `http://hl7.org/fhir/StructureDefinition/${name}`,
    name,
    kind: options.kind ?? 'resource',
    abstract: options.abstract ?? false,
    type: options.type ?? name,
    derivation: options.derivation ?? 'specialization',
    ...(options.base === undefined
      ? {}
      : { baseDefinition: `http://hl7.org/fhir/StructureDefinition/${options.base}` }),
    snapshot: {
      element: [
        { id: rootPath, path: rootPath, min: 0, max: '*' },
        ...elements.map((element) => ({ id: element.path, min: 0, max: '1', ...element })),
      ],
    },
  };
}

/** Primitive definitions in R4 form: `string` and `code` (regex only), `integer` with its bounds. */
export function tinyPrimitives(): object[] {
  const primitive = (name: string, system: string, regex: string, extra: object = {}, base = 'Element') => ({
    ...tinyDefinition(
      name,
      [
        {
          path: `${name}.value`,
          type: [
            {
              code: `http://hl7.org/fhirpath/System.${system}`,
              extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/regex', valueString: regex }],
            },
          ],
          ...extra,
        },
      ],
      { kind: 'primitive-type', base },
    ),
  });
  return [
    primitive('string', 'String', '[ \\r\\n\\t\\S]+'),
    primitive('code', 'String', '[^\\s]+(\\s[^\\s]+)*', {}, 'string'),
    primitive('boolean', 'Boolean', 'true|false'),
    primitive('integer', 'Integer', '-?([0]|([1-9][0-9]*))', {
      minValueInteger: -2147483648,
      maxValueInteger: 2147483647,
    }),
    primitive('positiveInt', 'String', '[1-9][0-9]*', {}, 'integer'),
    primitive('decimal', 'Decimal', '-?(0|[1-9][0-9]*)(\\.[0-9]+)?'),
    primitive('uri', 'String', '\\S*'),
  ];
}

/** The complex types every tiny model needs: Element, BackboneElement, Extension, Quantity, Reference. */
export function tinyComplexTypes(): object[] {
  const complex = (name: string, elements: TinyElement[], base = 'Element') =>
    tinyDefinition(name, elements, { kind: 'complex-type', base });
  return [
    tinyDefinition('Element', [{ path: 'Element.id', type: [{ code: 'string' }] }], {
      kind: 'complex-type',
      abstract: true,
    }),
    complex('BackboneElement', [{ path: 'BackboneElement.id', type: [{ code: 'string' }] }]),
    complex('Extension', [
      { path: 'Extension.url', min: 1, type: [{ code: 'uri' }] },
      { path: 'Extension.value[x]', type: [{ code: 'string' }, { code: 'boolean' }, { code: 'Quantity' }] },
    ]),
    complex('Quantity', [
      { path: 'Quantity.value', type: [{ code: 'decimal' }] },
      { path: 'Quantity.code', type: [{ code: 'code' }] },
    ]),
    complex('Reference', [{ path: 'Reference.reference', type: [{ code: 'string' }] }]),
    tinyDefinition('SimpleQuantity', [{ path: 'Quantity.value', type: [{ code: 'decimal' }] }], {
      kind: 'complex-type',
      base: 'Quantity',
      derivation: 'constraint',
      type: 'Quantity',
    }),
    tinyDefinition(
      'Resource',
      [
        { path: 'Resource.id', type: [{ code: 'string' }] },
        { path: 'Resource.meta', type: [{ code: 'Reference' }] },
      ],
      { abstract: true },
    ),
    tinyDefinition('DomainResource', [{ path: 'DomainResource.id', type: [{ code: 'string' }] }], {
      abstract: true,
      base: 'Resource',
    }),
  ];
}
