/**
 * Patient compartment membership (FHIR CompartmentDefinition "patient",
 * https://hl7.org/fhir/R4/compartmentdefinition-patient.html): a resource belongs to a patient's
 * compartment when one of the reference elements named by the compartment's params for its type
 * points at that patient; the Patient resource belongs to its own compartment, by id. A type the
 * definition gives no params is outside every patient's compartment. Used to keep `patient/` scopes to
 * the token's patient, for direct reads, `_include`/`_revinclude` results, custom operation results
 * and batch/transaction entries alike. The params come generated per version (`version.json`).
 */

/** One param of the compartment definition for a type, with the element paths its search parameter reads. */
export interface CompartmentParam {
  name: string;
  /** Dotted element paths relative to the resource, e.g. `subject`, `participant.individual`. */
  paths: string[];
}

/** A version's Patient compartment: the params of each resource type in it. */
export type PatientCompartment = Readonly<Record<string, readonly CompartmentParam[]>>;

type Json = unknown;

/** The params of a type, or undefined for a type outside the compartment (never the Patient itself). */
export function compartmentParams(
  compartment: PatientCompartment,
): (resourceType: string) => readonly CompartmentParam[] | undefined {
  return (type) => {
    if (Object.hasOwn(compartment, type)) return compartment[type];
    return type === 'Patient' ? [] : undefined;
  };
}

/**
 * `localBases`: this server's absolute base URLs (e.g. `https://fhir.example.org/r4`); an absolute
 * reference counts only below one of them, since `Patient/p1` on another server is another patient.
 */
export function inPatientCompartment(
  resource: { resourceType?: unknown; id?: unknown },
  patientId: string,
  params: readonly CompartmentParam[],
  localBases: readonly string[] = [],
): boolean {
  if (resource.resourceType === 'Patient' && resource.id === patientId) return true;
  return params.some((param) =>
    param.paths.some((path) => referencesPatient(valuesAt(resource, path), patientId, localBases)),
  );
}

function valuesAt(root: Json, path: string): Json[] {
  let current: Json[] = [root];
  for (const segment of path.split('.')) {
    current = current.flatMap((value) => childrenOf(value, segment));
  }
  return current;
}

function childrenOf(value: Json, segment: string): Json[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const record = value as Record<string, Json>;
  const names = segment.endsWith('[x]') ? choiceNames(record, segment.slice(0, -3)) : [segment];
  return names.flatMap((name) => {
    if (!Object.hasOwn(record, name)) return [];
    const child = record[name];
    return Array.isArray(child) ? child : [child];
  });
}

/** `value[x]` matches `valueReference`, `valueString`...: the base name followed by a type name. */
function choiceNames(record: Record<string, Json>, base: string): string[] {
  return Object.keys(record).filter((key) => key.startsWith(base) && /^[A-Z]/.test(key.slice(base.length)));
}

function referencesPatient(values: Json[], patientId: string, localBases: readonly string[]): boolean {
  return values.some((value) => {
    const reference = (value as { reference?: unknown } | null)?.reference;
    return typeof reference === 'string' && isPatientReference(reference, patientId, localBases);
  });
}

/** `Patient/123`, `Patient/123/_history/2`, or either below one of this server's base URLs. */
export function isPatientReference(
  reference: string,
  patientId: string,
  localBases: readonly string[] = [],
): boolean {
  const relative = `Patient/${patientId}`;
  const withoutHistory = reference.replace(/\/_history\/[^/]+$/, '');
  if (withoutHistory === relative) return true;
  return localBases.some((base) => withoutHistory === `${base.replace(/\/$/, '')}/${relative}`);
}

/**
 * Element paths of a search parameter's FHIRPath expression, as far as compartment checks need
 * them (the generator resolves each compartment param this way): `Observation.subject.where(resolve() is Patient) | Observation.performer` gives `subject`
 * and `performer` for Observation. `.where(...)`, `.as(...)` and `as` casts are dropped: only
 * references to `Patient/<id>` are matched afterwards, which is what those filters ask for.
 */
export function pathsOfExpression(expression: string, resourceType: string): string[] {
  return expression
    .split('|')
    .map((part) =>
      part
        .trim()
        .replace(/^\((.*)\)$/, '$1')
        .replace(/\s+as\s+\w+$/, ''),
    )
    .map((part) => part.replace(/\.(where|as|ofType)\([^()]*(\([^()]*\)[^()]*)*\)/g, ''))
    .filter((part) => part.startsWith(`${resourceType}.`))
    .map((part) => part.slice(resourceType.length + 1))
    .filter((part) => /^[A-Za-z[\]]+(\.[A-Za-z[\]]+)*$/.test(part));
}
