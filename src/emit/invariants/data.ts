/** The invariant data's shape lives with the runtime that reads it (src/runtime/invariants/data.ts). */
export type { InvariantData, InvariantRule, WalkElement, WalkStructure } from '../../runtime/invariants/data';
