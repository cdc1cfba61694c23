import { constraintCounts } from './constraints';
import type {
  BackboneType,
  ChoiceGroup,
  ComplexType,
  Constraint,
  Element,
  FhirModel,
  PrimitiveType,
  ResourceType,
  SearchParameter,
  TypeDefinition,
} from './types';

/**
 * The IR of one type as text for people (`fhirgen definitions show`): header, elements with
 * cardinality, type, flags and binding, choice groups, backbones, search parameters. Flags follow
 * the specification's tables: `?!` is a modifier, `Σ` part of the summary.
 */
export function describeType(model: FhirModel, type: TypeDefinition): string {
  const lines = [...header(model, type)];
  if (type.kind === 'primitive') {
    return [...lines, ...primitiveLines(type), ...constraintLines(model, type)].join('\n').concat('\n');
  }
  lines.push('', ...membersLines(type));
  if (type.kind !== 'backbone') {
    for (const backbone of type.backbones) {
      lines.push('', `${backbone.name} (backbone ${backbone.path})`, ...membersLines(backbone).map(indent));
    }
  }
  if (type.kind === 'resource' && type.searchParameters.length > 0) {
    lines.push('', 'search parameters:', ...table(type.searchParameters.map(searchRow)).map(indent));
  }
  lines.push(...constraintLines(model, type));
  return lines.join('\n').concat('\n');
}

/**
 * The type's constraints (for a backbone, those on its path), then the version's counts: how many
 * constraints are checked and how many are not, by reason.
 */
function constraintLines(model: FhirModel, type: TypeDefinition): string[] {
  const own = model.constraints.filter((constraint) =>
    type.kind === 'backbone'
      ? constraint.owner === type.owner && constraint.path === type.path
      : constraint.owner === type.name,
  );
  const lines: string[] = [];
  if (own.length > 0) lines.push('', 'constraints:', ...table(own.map(constraintRow)).map(indent));
  const counts = constraintCounts(model);
  const reasons = Object.entries(counts.unchecked).map(([reason, count]) => `${count} ${reason}`);
  lines.push(
    '',
    `constraints of FHIR ${model.version.label}: ${counts.total}, ${counts.checked} checked, ${counts.total - counts.checked} not checked${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`,
  );
  return lines;
}

function constraintRow(constraint: Constraint): string[] {
  const rule =
    constraint.unchecked !== undefined
      ? `not checked: ${constraint.unchecked}`
      : `${constraint.expression ?? ''}${constraint.expressionSource === 'definition' ? '' : ` (${constraint.expressionSource})`}`;
  return [constraint.key, constraint.severity, constraint.path, rule, constraint.human];
}

function header(model: FhirModel, type: TypeDefinition): string[] {
  const what: Record<TypeDefinition['kind'], string> = {
    primitive: 'primitive type',
    'complex-type': 'data type',
    resource: 'resource',
    backbone: 'backbone element',
  };
  const abstract = 'abstract' in type && type.abstract ? 'abstract ' : '';
  const lines = [
    `${type.name}: ${abstract}${what[type.kind]}, FHIR ${model.version.label} ${model.version.fhirVersion} (${model.version.packages.join(', ')})`,
  ];
  if ('url' in type) lines.push(`  ${type.url}`);
  const base = basis(type);
  if (base) lines.push(`  ${base}`);
  if (type.description) lines.push(`  ${firstLine(type.description)}`);
  return lines;
}

function basis(type: TypeDefinition): string | undefined {
  switch (type.kind) {
    case 'backbone':
      return `defined at ${type.path} in ${type.owner}`;
    case 'complex-type':
      if (type.constraintOn) return `constraint on ${type.constraintOn}`;
      return type.base ? `specialises ${type.base}` : undefined;
    default:
      return type.base ? `specialises ${type.base}` : undefined;
  }
}

function primitiveLines(type: PrimitiveType): string[] {
  const lines = [`  JSON type: ${type.jsonType}`];
  if (type.regex !== undefined) lines.push(`  regex: ${type.regex}`);
  if (type.minValue !== undefined || type.maxValue !== undefined) {
    lines.push(`  range: ${type.minValue ?? ''}..${type.maxValue ?? ''}`);
  }
  return lines;
}

function membersLines(type: ComplexType | ResourceType | BackboneType): string[] {
  const lines = ['elements:', ...table(type.elements.map(elementRow)).map(indent)];
  if (type.choices.length > 0) lines.push('choices:', ...type.choices.map(choiceLine).map(indent));
  return lines;
}

function elementRow(element: Element): string[] {
  const flags = `${element.isModifier ? '?!' : ''}${element.isSummary ? 'Σ' : ''}`;
  const type = `${element.type.name}${element.isArray ? '[]' : ''}`;
  const notes: string[] = [];
  if (element.contentReference) notes.push(`same as ${element.contentReference}`);
  if (element.type.kind === 'complex' && element.type.targetProfiles) {
    notes.push(`-> ${element.type.targetProfiles.map(lastSegment).join(' | ')}`);
  }
  if (element.binding) {
    const codes = element.binding.codes ? ` {${element.binding.codes.join(', ')}}` : '';
    const unresolved = element.binding.unresolved ? ` (codes not listed: ${element.binding.unresolved})` : '';
    notes.push(`${element.binding.strength} ${element.binding.valueSet ?? ''}${codes}${unresolved}`);
  }
  if (element.fixed !== undefined) notes.push(`fixed ${JSON.stringify(element.fixed)}`);
  if (element.pattern !== undefined) notes.push(`pattern ${JSON.stringify(element.pattern)}`);
  return [element.name, `${element.min}..${element.max}`, type, flags, element.short, notes.join('; ')];
}

function choiceLine(choice: ChoiceGroup): string {
  return `${choice.name}[x] (min ${choice.min}): ${choice.variants.join(' | ')}`;
}

function searchRow(parameter: SearchParameter): string[] {
  const where = parameter.expression ?? parameter.xpath ?? '';
  const targets = parameter.targets.length > 0 ? `-> ${parameter.targets.join(' | ')}` : '';
  return [parameter.code, parameter.type, where, targets, parameter.common ? '(common)' : ''];
}

/** Columns padded to their widest cell; trailing empty cells dropped. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function indent(line: string): string {
  return `  ${line}`;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}

function lastSegment(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
