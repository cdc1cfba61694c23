import {
  type ClassDeclarationStructure,
  type ImportDeclarationStructure,
  type InterfaceDeclarationStructure,
  type OptionalKind,
  type PropertyDeclarationStructure,
  type PropertySignatureStructure,
  type SourceFileStructure,
  StructureKind,
  type WriterFunction,
} from 'ts-morph';
import type { Element } from '../../ir/types';
import {
  type ClassType,
  classOf,
  docOf,
  type EmitContext,
  primitiveJsonType,
  primitiveValueType,
  quote,
} from './types';

/** The version's Element class: it holds the `_name` extensions of primitives. */
const ELEMENT = 'Element';
/** The comments property of versions whose JSON has one (https://hl7.org/fhir/DSTU2/json.html). */
const COMMENTS_DOC = "Comments of the XML form, which this version's JSON carries on any object.";
/** Union of every concrete resource class of the version, declared in `resources.ts`. */
const ANY_RESOURCE = 'AnyResource';

/**
 * The file `classes/<Name>.ts`: the JSON-shape interface `<Name>Json` and the class `<Name>`, whose static
 * table drives the shared runtime (see support/runtime/).
 */
export function classFile(context: EmitContext, type: ClassType): SourceFileStructure {
  return {
    kind: StructureKind.SourceFile,
    statements: [...imports(context, type), jsonInterface(context, type), classDeclaration(context, type)],
  };
}

/** Whether the type is a resource that appears on the wire with its own `resourceType`. */
function isConcreteResource(type: ClassType): boolean {
  return type.kind === 'resource' && !type.abstract;
}

function imports(context: EmitContext, type: ClassType): ImportDeclarationStructure[] {
  const runtime = [
    'type CastReport',
    'FhirObject',
    isConcreteResource(type) ? 'type ResourceTable' : 'type TypeTable',
  ];
  const helpers = new Set<string>();
  const classes = new Set<string>([ELEMENT]);
  let usesResources = false;
  for (const element of type.elements) {
    if (element.type.kind === 'primitive') helpers.add('primitive');
    else if (element.type.kind === 'resource') {
      helpers.add('resource');
      usesResources = true;
    } else {
      helpers.add('complex');
      classes.add(classOf(context, element) as string);
    }
  }
  if (context.model.json.commentsProperty !== undefined) helpers.add('comments');
  helpers.add(isConcreteResource(type) ? 'resourceTable' : 'typeTable');
  const out: ImportDeclarationStructure[] = [importFrom('../runtime', [...runtime, ...[...helpers].sort()])];
  const valueSets = [...new Set(type.elements.map((element) => context.valueSets.aliasFor(element)))].filter(
    (alias): alias is string => alias !== undefined && !alias.startsWith("'"),
  );
  if (valueSets.length > 0)
    out.push(
      importFrom(
        '../valuesets',
        valueSets.sort().map((name) => `type ${name}`),
      ),
    );
  out.push(importFrom('../version', ['fhirVersion']));
  for (const name of [...classes].sort()) {
    if (name === type.name) continue;
    out.push(importFrom(`./${name}`, [name, `type ${name}Json`]));
  }
  if (usesResources) {
    out.push(importFrom('./resources', [`type ${ANY_RESOURCE}`, `type ${ANY_RESOURCE}Json`, 'registry']));
  }
  return out;
}

function importFrom(module: string, names: string[]): ImportDeclarationStructure {
  return {
    kind: StructureKind.ImportDeclaration,
    moduleSpecifier: module,
    namedImports: names.map((name) =>
      name.startsWith('type ') ? { name: name.slice(5), isTypeOnly: true } : { name },
    ),
  };
}

/** The wire shape: what `JSON.parse` gives and `toJSON()` returns. */
function jsonInterface(context: EmitContext, type: ClassType): InterfaceDeclarationStructure {
  const properties: OptionalKind<PropertySignatureStructure>[] = [];
  if (isConcreteResource(type)) properties.push({ name: 'resourceType', type: quote(type.name) });
  const comments = context.model.json.commentsProperty;
  if (comments !== undefined) {
    properties.push({ name: comments, type: 'string[]', hasQuestionToken: true, docs: [COMMENTS_DOC] });
  }
  for (const element of type.elements) {
    const required = element.min > 0 && element.choice === undefined;
    properties.push({
      name: element.name,
      type: jsonTypeOf(context, element),
      hasQuestionToken: !required,
      docs: [docOf(element)],
    });
    if (element.type.kind === 'primitive') {
      properties.push({
        name: `_${element.name}`,
        type: element.isArray ? `(${ELEMENT}Json | null)[]` : `${ELEMENT}Json`,
        hasQuestionToken: true,
      });
    }
  }
  return {
    kind: StructureKind.Interface,
    name: `${type.name}Json`,
    isExported: true,
    docs: [`${type.name} as FHIR JSON.`],
    properties,
  };
}

function jsonTypeOf(context: EmitContext, element: Element): string {
  let single: string;
  if (element.type.kind === 'primitive') {
    single = primitiveValueType(context, element);
    if (element.isArray) return `(${single} | null)[]`;
  } else if (element.type.kind === 'resource') {
    single = `${ANY_RESOURCE}Json`;
  } else {
    single = `${classOf(context, element)}Json`;
  }
  return element.isArray ? arrayOf(single) : single;
}

function arrayOf(single: string): string {
  return single.includes(' ') ? `(${single})[]` : `${single}[]`;
}

/** The class type of an element as the cast object holds it: `0..1` is `T | undefined`, `0..*` is `T[]`. */
function classTypeOf(context: EmitContext, element: Element): string {
  let single: string;
  if (element.type.kind === 'primitive') {
    single = primitiveValueType(context, element);
    if (element.isArray) return `(${single} | null)[]`;
  } else if (element.type.kind === 'resource') {
    single = ANY_RESOURCE;
  } else {
    single = classOf(context, element) as string;
  }
  if (element.isArray) return arrayOf(single);
  return element.min > 0 && element.choice === undefined ? single : `${single} | undefined`;
}

function classDeclaration(context: EmitContext, type: ClassType): ClassDeclarationStructure {
  const properties: OptionalKind<PropertyDeclarationStructure>[] = [
    {
      name: 'table',
      isStatic: true,
      isReadonly: true,
      type: isConcreteResource(type) ? 'ResourceTable' : 'TypeTable',
      initializer: tableWriter(context, type),
      docs: ['Field table read by the runtime; built on first use.'],
    },
  ];
  if (isConcreteResource(type)) {
    properties.push({
      name: 'resourceType',
      hasDeclareKeyword: true,
      isReadonly: true,
      type: quote(type.name),
    });
  }
  const comments = context.model.json.commentsProperty;
  if (comments !== undefined) {
    properties.push({
      name: comments,
      hasDeclareKeyword: true,
      type: 'string[] | undefined',
      docs: [COMMENTS_DOC],
    });
  }
  for (const element of type.elements) {
    properties.push({
      name: element.name,
      hasDeclareKeyword: true,
      type: classTypeOf(context, element),
      docs: [docOf(element)],
    });
    if (element.type.kind === 'primitive') {
      properties.push({
        name: `_${element.name}`,
        hasDeclareKeyword: true,
        type: element.isArray ? `(${ELEMENT} | null)[] | undefined` : `${ELEMENT} | undefined`,
      });
    }
  }
  return {
    kind: StructureKind.Class,
    name: type.name,
    isExported: true,
    isAbstract: false,
    extends: `FhirObject<${type.name}Json>`,
    docs: [classDoc(type)],
    properties,
    methods: [
      {
        name: 'fromJSON',
        isStatic: true,
        parameters: [
          { name: 'json', type: `${type.name}Json` },
          { name: 'report', type: 'CastReport', hasQuestionToken: true },
        ],
        returnType: type.name,
        statements: [`return new ${type.name}(json, report);`],
        docs: ['Casts FHIR JSON; pass a report to learn which properties were dropped.'],
      },
    ],
  };
}

function classDoc(type: ClassType): string {
  const description = type.description.trim().replace(/\*\//g, '*\\/');
  const where = type.kind === 'backbone' ? ` (${type.path})` : '';
  return `${description || type.name}${where}`;
}

/** `static readonly table = resourceTable(fhirVersion, 'Patient', () => Element, () => [ ...fields ])`. */
function tableWriter(context: EmitContext, type: ClassType): WriterFunction {
  const factory = isConcreteResource(type) ? 'resourceTable' : 'typeTable';
  const entries = type.elements.map((field) => `  ${fieldEntry(context, field)},`);
  // First, where DSTU2's own JSON has them: in its core package they precede every other property.
  const comments = context.model.json.commentsProperty;
  if (comments !== undefined) entries.unshift(`  comments(${quote(comments)}),`);
  return (writer) => {
    writer.write(`${factory}(fhirVersion, ${quote(type.name)}, () => ${ELEMENT}, () => [`);
    writer.write(['', ...entries, '])'].join('\n'));
  };
}

function fieldEntry(context: EmitContext, element: Element): string {
  const many = element.isArray ? ', true' : '';
  const name = quote(element.name);
  if (element.type.kind === 'primitive') {
    return `primitive(${name}, ${quote(primitiveJsonType(context, element))}${many})`;
  }
  if (element.type.kind === 'resource') return `resource(${name}, () => registry${many})`;
  return `complex(${name}, () => ${classOf(context, element)}${many})`;
}
