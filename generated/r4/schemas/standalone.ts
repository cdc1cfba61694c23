import type { ValidateFunction } from 'ajv';
import type { ResourceFactory, ValidatorModules } from './modules';
import { FhirValidator } from './validator';

/**
 * The validators of the modules generated ahead of time: a resource type's module is required and
 * instantiated at its first use, the shared data types with the first of them. Nothing is compiled.
 */
export function standaloneValidator(modules: ValidatorModules): FhirValidator {
  return new FhirValidator(modules.meta, (helpers) => {
    let datatypes: Record<string, ValidateFunction> | undefined;
    return (type) => {
      const load: (() => ResourceFactory) | undefined = modules.resources[type];
      if (load === undefined) return undefined;
      datatypes ??= modules.datatypes()(helpers);
      return load()(helpers, datatypes);
    };
  });
}
