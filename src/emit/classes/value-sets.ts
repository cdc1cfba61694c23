import type { Element } from '../../ir/types';
import { quote } from './types';

/** A named union of the codes of one required ValueSet, emitted once per version into `valuesets.ts`. */
export interface CodeAlias {
  name: string;
  valueSet: string;
  codes: string[];
}

/**
 * Names the code unions of required bindings. Each ValueSet gets one alias named after its id
 * (`administrative-gender` -> `AdministrativeGender`), so large sets such as resource types are
 * written once rather than inlined in every element bound to them.
 */
export class ValueSetNames {
  private readonly byUrl = new Map<string, CodeAlias>();
  private readonly taken: Set<string>;

  /** `reserved`: names already used by classes, which an alias must not shadow. */
  constructor(reserved: Iterable<string>) {
    this.taken = new Set(reserved);
  }

  /** The type of an element's codes: an alias, an inline union (no ValueSet URL), or undefined (not bound). */
  aliasFor(element: Element): string | undefined {
    const binding = element.binding;
    if (binding?.strength !== 'required' || binding.codes === undefined || binding.codes.length === 0) {
      return undefined;
    }
    const codes = [...new Set(binding.codes)];
    if (binding.valueSet === undefined) return codes.map(quote).join(' | ');
    const url = binding.valueSet.split('|')[0] as string;
    const known = this.byUrl.get(url);
    if (known !== undefined) return known.name;
    const alias = { name: this.freshName(url), valueSet: url, codes };
    this.byUrl.set(url, alias);
    return alias.name;
  }

  /** Every alias handed out, sorted by name for stable output. */
  aliases(): CodeAlias[] {
    return [...this.byUrl.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private freshName(url: string): string {
    const id = url.slice(url.lastIndexOf('/') + 1);
    const base = pascalCase(id) || 'Codes';
    let name = this.taken.has(base) ? `${base}Code` : base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}Code${n}`;
    this.taken.add(name);
    return name;
  }
}

/** `administrative-gender` -> `AdministrativeGender`; `v3-ActReason` -> `V3ActReason`. */
export function pascalCase(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
  const name = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  return /^[0-9]/.test(name) ? `Vs${name}` : name;
}
