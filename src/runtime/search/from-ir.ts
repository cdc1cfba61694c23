/**
 * Generator side: builds a resource's search table from the IR. This is the one file of this folder
 * that reads the IR, so it is not copied into generated projects; the emitter writes its result as
 * plain data next to the version's classes.
 */
import type { ResourceType, SearchParameter } from '../../ir/types';
import type { CompositeComponent, SearchParamDef, SearchTable } from './table';
import { xpathToFhirPath } from './xpath';

/**
 * Parameters that select no element, so the store cannot index them; services may still answer them.
 * The embedded store answers `_text` and `_content` by reading the documents at search time.
 */
const NOT_INDEXED: Record<string, string> = {
  _text: 'not indexed: the embedded store reads the narrative at search time (search.html#text)',
  _content: 'not indexed: the embedded store reads the whole resource at search time (search.html#content)',
  _query: 'a named query is defined by an operation, not by a path (search.html#query)',
  _filter: 'the _filter expression language is a separate specification (search_filter.html)',
  near: 'distance from a point needs a geographic index (location.html#positional)',
};

const CHOICE_COMPOSITE =
  'a name for several composites, one per choice (code-value-quantity ...), listed apart';
const NAMED_ONLY =
  'DSTU2 names this composite without components or a path, and its parts are not direct children of the resource';

export function toSearchTable(resource: ResourceType): SearchTable {
  const params: Record<string, SearchParamDef> = {};
  for (const parameter of resource.searchParameters) {
    params[parameter.code] = toParamDef(parameter, resource);
  }
  for (const expanded of expandChoiceComposites(resource)) {
    if (!Object.hasOwn(params, expanded.code)) params[expanded.code] = expanded;
  }
  return { resourceType: resource.name, params, ...elementLists(resource) };
}

/**
 * Top-level elements for `_summary` and `_elements` (https://hl7.org/fhir/R4/search.html#summary):
 * those marked `isSummary`, and the mandatory ones (min >= 1, or a required choice), which a summary
 * and an `_elements` answer keep too ("servers SHOULD always return mandatory elements"). Choices go
 * by their group name (`deceased` for `deceasedBoolean` ...). `resourceType`, `id` and `meta` are
 * always kept and not listed.
 */
function elementLists(resource: ResourceType): Pick<SearchTable, 'summary' | 'mandatory'> {
  const summary = new Set<string>();
  const mandatory = new Set<string>();
  const depth = resource.name.split('.').length + 1;
  for (const element of resource.elements) {
    if (element.path.split('.').length !== depth) continue;
    const name = element.choice ? element.choice.group : element.name;
    if (name === 'id' || name === 'meta') continue;
    if (element.min >= 1) mandatory.add(name);
    if (element.isSummary || element.min >= 1) summary.add(name);
  }
  for (const choice of resource.choices) {
    if (choice.min >= 1 && choice.path.split('.').length === depth) {
      mandatory.add(choice.name);
      summary.add(choice.name);
    }
  }
  return { summary: [...summary], mandatory: [...mandatory] };
}

function toParamDef(parameter: SearchParameter, resource: ResourceType): SearchParamDef {
  const def: SearchParamDef = {
    code: parameter.code,
    type: parameter.type,
    targets: [...parameter.targets],
    modifiers: [...parameter.modifiers],
    comparators: [...parameter.comparators],
    components: [],
    common: parameter.common,
  };
  if (parameter.xpath) def.xpath = parameter.xpath;
  const expression = parameter.expression ?? (parameter.xpath ? xpathToFhirPath(parameter.xpath) : undefined);
  if (expression) def.expression = expression;
  if (parameter.type === 'composite') {
    const components = resolveComponents(parameter, resource);
    if (components) def.components = components;
    else if (parameter.code.endsWith('-[x]')) def.unsupported = CHOICE_COMPOSITE;
    else if (!parameter.expression && !parameter.xpath) def.unsupported = NAMED_ONLY;
    else def.unsupported = 'its components do not name search parameters of this resource';
    // A composite's components are evaluated on the nodes its expression selects; DSTU2 has none, so
    // components are then evaluated from the resource itself.
    if (!def.expression) def.expression = resource.name;
  } else if (Object.hasOwn(NOT_INDEXED, parameter.code)) {
    def.unsupported = NOT_INDEXED[parameter.code];
  } else if (parameter.type === 'special') {
    def.unsupported = 'special parameters have no generic matching rule (search.html#special)';
  } else if (!def.expression) {
    def.unsupported = 'the definition has neither a FHIRPath expression nor a translatable xpath';
  }
  return def;
}

function resolveComponents(
  parameter: SearchParameter,
  resource: ResourceType,
): CompositeComponent[] | undefined {
  if (parameter.components.length > 0) {
    const out: CompositeComponent[] = [];
    for (const component of parameter.components) {
      const target =
        resource.searchParameters.find((p) => p.url === component.definition) ??
        byConventionalUrl(component.definition, resource);
      if (!target) return undefined;
      out.push({ code: target.code, type: target.type, expression: component.expression });
    }
    return out;
  }
  return splitCompositeCode(parameter.code, resource);
}

/**
 * STU3 composites name `Observation-code`, but the core defines `code` once for many resources as
 * `clinical-code`: the URL's conventional form `<Resource>-<code>` still names the parameter.
 */
function byConventionalUrl(url: string, resource: ResourceType): SearchParameter | undefined {
  const prefix = `/SearchParameter/${resource.name}-`;
  const at = url.lastIndexOf(prefix);
  if (at < 0) return undefined;
  const code = url.slice(at + prefix.length);
  return resource.searchParameters.find((p) => p.code === code);
}

/**
 * DSTU2 composites have no component list: their name joins two parameter names with `-`
 * (`code-value-quantity` = `code` + `value-quantity`), as the DSTU2 search page describes.
 */
function splitCompositeCode(code: string, resource: ResourceType): CompositeComponent[] | undefined {
  const byCode = new Map(resource.searchParameters.map((p) => [p.code, p]));
  for (let i = code.indexOf('-'); i > 0; i = code.indexOf('-', i + 1)) {
    const left = byCode.get(code.slice(0, i));
    const right = byCode.get(code.slice(i + 1));
    if (left && right && isTopLevel(left) && isTopLevel(right)) {
      return [left, right].map((p) => ({ code: p.code, type: p.type, expression: componentPath(p) }));
    }
  }
  return undefined;
}

/**
 * Components evaluated from the resource root belong together only when each selects a direct child of
 * the resource: `Observation.component.code` and `Observation.component.value` could come from two
 * different components, which is not what a composite search means.
 */
function isTopLevel(parameter: SearchParameter): boolean {
  if (parameter.type === 'composite') return false;
  const path = componentPath(parameter);
  return path !== '' && path.split(' | ').every((alt) => /^[A-Za-z]+\.[A-Za-z]+$/.test(alt.trim()));
}

function componentPath(parameter: SearchParameter): string {
  return parameter.expression ?? (parameter.xpath ? (xpathToFhirPath(parameter.xpath) ?? '') : '');
}

/**
 * DSTU2 names some composites with a choice suffix (`code-value-[x]`): they stand for one composite per
 * parameter the suffix can become (`code-value-quantity` = `code` + `value-quantity`), the names
 * R4 later defined. Only parts that are direct children of the resource are paired (see isTopLevel).
 */
function expandChoiceComposites(resource: ResourceType): SearchParamDef[] {
  const out: SearchParamDef[] = [];
  for (const parameter of resource.searchParameters) {
    if (parameter.type !== 'composite' || parameter.components.length > 0 || !parameter.code.endsWith('-[x]'))
      continue;
    const stem = parameter.code.slice(0, -'[x]'.length);
    for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
      const left = resource.searchParameters.find((p) => p.code === stem.slice(0, i));
      const rightStem = stem.slice(i + 1);
      if (!left || !isTopLevel(left)) continue;
      for (const right of resource.searchParameters) {
        if (!right.code.startsWith(rightStem) || right.code === rightStem || !isTopLevel(right)) continue;
        out.push({
          code: `${left.code}-${right.code}`,
          type: 'composite',
          expression: resource.name,
          targets: [],
          modifiers: [],
          comparators: [],
          components: [left, right].map((p) => ({
            code: p.code,
            type: p.type,
            expression: componentPath(p),
          })),
          common: false,
        });
      }
    }
  }
  return out;
}
