import { FhirgenError } from '../../src/errors';

/** The FhirgenError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<FhirgenError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FhirgenError) return error;
    throw error;
  }
  throw new Error('expected a FhirgenError, but it succeeded');
}
