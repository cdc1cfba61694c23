/**
 * DSTU2 SearchParameters carry only an XPath over the XML form (`f:Patient/f:name`); the store indexes
 * with FHIRPath over JSON. The XPaths the DSTU2 core uses are simple location paths, so they translate
 * step by step:
 *   f:Patient/f:name | f:Patient/f:alias         -> Patient.name | Patient.alias
 *   f:Patient/f:telecom[system/@value='email']   -> Patient.telecom.where(system = 'email')
 *   f:Patient/f:extension[@url='http://...']     -> Patient.extension.where(url = 'http://...')
 *   f:Bundle/f:entry/f:resource[0]               -> Bundle.entry.resource.first()
 * Anything else is refused (undefined) rather than guessed.
 */

const STEP = /^f:([A-Za-z][A-Za-z0-9]*)(?:\[(.+)\])?$/;
const ATTRIBUTE_TEST = /^@([a-z]+)\s*=\s*'([^']*)'$/;
const CHILD_VALUE_TEST = /^(?:f:)?([A-Za-z]+)\/@value\s*=\s*'([^']*)'$/;

export function xpathToFhirPath(xpath: string): string | undefined {
  const alternatives = xpath.split('|').map((part) => translatePath(part.trim()));
  if (alternatives.some((alt) => alt === undefined)) return undefined;
  return alternatives.join(' | ');
}

function translatePath(path: string): string | undefined {
  const steps = splitSteps(path);
  const out: string[] = [];
  for (const step of steps) {
    const match = STEP.exec(step);
    if (!match) return undefined;
    const [, name, predicate] = match;
    out.push(name as string);
    if (predicate !== undefined) {
      const filter = translatePredicate(predicate.trim());
      if (filter === undefined) return undefined;
      out.push(filter);
    }
  }
  return out.join('.');
}

/** Splits on `/` outside predicates and quotes: `[system/@value='x']` and URLs stay whole. */
function splitSteps(path: string): string[] {
  const steps: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of path) {
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '[') depth++;
    else if (!quoted && char === ']') depth--;
    if (char === '/' && depth === 0 && !quoted) {
      steps.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  steps.push(current);
  return steps;
}

function translatePredicate(predicate: string): string | undefined {
  // XPath positions are 1-based; the DSTU2 core writes `[0]` meaning "the first one" (Bundle.composition).
  if (/^[01]$/.test(predicate)) return 'first()';
  const attribute = ATTRIBUTE_TEST.exec(predicate);
  if (attribute) return `where(${attribute[1]} = '${attribute[2]}')`;
  const child = CHILD_VALUE_TEST.exec(predicate);
  if (child) return `where(${child[1]} = '${child[2]}')`;
  return undefined;
}
