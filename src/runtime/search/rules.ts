/**
 * What each FHIR version allows in a search, as data. Sources: the search pages of each version,
 * https://hl7.org/fhir/R4/search.html, https://hl7.org/fhir/STU3/search.html and
 * https://hl7.org/fhir/DSTU2/search.html, and each version's `search-modifier-code` value set.
 */
import type { SearchParamType, SearchPrefix } from '../contracts';
import type { FhirVersion } from './table';

export interface VersionRules {
  /** Modifiers allowed per parameter type; `[type]` stands for `:Patient`, `:Organization` ... */
  modifiers: Record<SearchParamType, readonly string[]>;
  /** Types that take the prefixes `eq ne gt lt ge le sa eb ap` (the same set in all three versions). */
  prefixed: readonly SearchParamType[];
  /** `_include`/`_revinclude` modifiers that ask for iteration: DSTU2 and STU3 `:recurse`, R4 `:iterate`. */
  iterateModifiers: readonly string[];
  /** `_has` reverse chaining: STU3 and later. */
  reverseChaining: boolean;
  /** `_sort=a,-b` (STU3, R4) or `_sort:asc=a&_sort:desc=b` (DSTU2). */
  sortStyle: 'prefix' | 'modifier';
  /** `_total`: R4 only. */
  total: boolean;
}

export const PREFIXES: readonly SearchPrefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

const COMMON_MODIFIERS = {
  number: ['missing'],
  date: ['missing'],
  string: ['missing', 'exact', 'contains'],
  token: ['missing', 'text', 'not', 'above', 'below', 'in', 'not-in'],
  quantity: ['missing'],
  uri: ['missing', 'above', 'below'],
  composite: ['missing'],
  special: ['missing'],
} as const;

const PREFIXED: readonly SearchParamType[] = ['number', 'date', 'quantity'];

export const VERSION_RULES: Record<FhirVersion, VersionRules> = {
  dstu2: {
    modifiers: { ...COMMON_MODIFIERS, reference: ['missing', '[type]'] },
    prefixed: PREFIXED,
    iterateModifiers: ['recurse'],
    reverseChaining: false,
    sortStyle: 'modifier',
    total: false,
  },
  stu3: {
    modifiers: { ...COMMON_MODIFIERS, reference: ['missing', '[type]'] },
    prefixed: PREFIXED,
    iterateModifiers: ['recurse'],
    reverseChaining: true,
    sortStyle: 'prefix',
    total: false,
  },
  r4: {
    // R4 adds :of-type on tokens, :identifier on references, and :above/:below on canonical references.
    modifiers: {
      ...COMMON_MODIFIERS,
      token: [...COMMON_MODIFIERS.token, 'of-type'],
      reference: ['missing', '[type]', 'identifier', 'above', 'below'],
    },
    prefixed: PREFIXED,
    // R4 renamed :recurse to :iterate; older clients still send :recurse.
    iterateModifiers: ['iterate', 'recurse'],
    reverseChaining: true,
    sortStyle: 'prefix',
    total: true,
  },
};
