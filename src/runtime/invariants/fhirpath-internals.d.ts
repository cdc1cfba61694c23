/** The one engine internal used: building a typed node for a resource that `resolve()` returns. */
declare module 'fhirpath/src/types.js' {
  export class ResourceNode {
    readonly data: unknown;
    static makeResNode(
      ctx: unknown,
      data: unknown,
      parent: unknown,
      path: string | null,
      data2: unknown,
      type: string | null,
    ): ResourceNode;
  }
}
