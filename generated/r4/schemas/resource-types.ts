import type { ResourceInfo } from './document';

/** The resource types of a version and what specialises what (`Patient` is a `DomainResource`). */
export class ResourceTypes {
  private readonly info: Map<string, ResourceInfo>;
  readonly concrete: string[];
  /** The type every resource specialises (`Resource`). */
  readonly root: string;

  constructor(resources: Record<string, ResourceInfo>) {
    this.info = new Map(Object.entries(resources));
    this.concrete = [...this.info].filter(([, info]) => !info.abstract).map(([name]) => name);
    this.root = [...this.info].find(([, info]) => info.base === undefined)?.[0] ?? 'Resource';
  }

  isConcrete(name: string): boolean {
    const info = this.info.get(name);
    return info !== undefined && !info.abstract;
  }

  /** Whether `name` is `ancestor` or specialises it. */
  isKindOf(name: string, ancestor: string): boolean {
    let current: string | undefined = name;
    while (current !== undefined) {
      if (current === ancestor) return true;
      current = this.info.get(current)?.base;
    }
    return false;
  }
}
