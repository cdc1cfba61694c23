import type { SplitDefinition } from './structures';

/**
 * Pass "backbone names": a class name for every backbone element, built from its owner's name and the
 * path below it in PascalCase: `Patient.contact` -> `PatientContact`, `Bundle.entry.request` ->
 * `BundleEntryRequest`. When that name is already taken (by a type of the model or by an earlier
 * backbone: `Foo.barBaz` and `Foo.bar.baz` both give `FooBarBaz`) the backbone gets `Component`
 * appended, then a number. Definitions and backbones are visited in name and path order, so the
 * result does not depend on the order of the input.
 *
 * Returns, per definition name, a map from backbone path to class name.
 */
export function nameBackbones(
  definitions: SplitDefinition[],
  typeNames: Iterable<string>,
): Map<string, Map<string, string>> {
  const taken = new Set(typeNames);
  const names = new Map<string, Map<string, string>>();
  const ordered = [...definitions].sort((a, b) => compare(a.name, b.name));
  for (const definition of ordered) {
    const byPath = new Map<string, string>();
    const paths = definition.backbones.map((backbone) => backbone.path).sort(compare);
    for (const path of paths) {
      const name = freeName(backboneClassName(definition.name, definition.root.path, path), taken);
      taken.add(name);
      byPath.set(path, name);
    }
    names.set(definition.name, byPath);
  }
  return names;
}

/** `Patient` + `Patient.contact` -> `PatientContact`; the root path may differ from the owner name (DSTU2 constraints). */
export function backboneClassName(owner: string, rootPath: string, path: string): string {
  const below = path.slice(rootPath.length + 1).split('.');
  return owner + below.map(pascalCase).join('');
}

function freeName(wanted: string, taken: Set<string>): string {
  if (!taken.has(wanted)) return wanted;
  const component = `${wanted}Component`;
  if (!taken.has(component)) return component;
  for (let n = 2; ; n++) {
    const numbered = `${component}${n}`;
    if (!taken.has(numbered)) return numbered;
  }
}

export function pascalCase(segment: string): string {
  const clean = segment.replace(/\[x\]$/, '');
  return clean.charAt(0).toUpperCase() + clean.slice(1);
}

/** Plain code-unit order, independent of the locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
