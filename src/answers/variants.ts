// Answers that depend on the client: topology-aware answers of a headless service pick the
// endpoints near the asking pod (resolve/cluster/topology.ts), so one question has several answers.
// Each is compiled as a variant (PrecompiledOptions.clientVariant): the first variant asked is held
// under the question's key, others under the key and the variant, and a reply finds the client's
// variant from the entry's service. A service has as many variants as nodes and zones that hold its
// endpoints, plus one.
import type { ServiceEntry } from '../table/service-index.js';
import type { CompiledAnswer, Dependency, PrecompiledOptions } from './types.js';

/** The store key of the variant `variant` of the answer to a question: longer than any question key. */
export function withVariant(key: string, variant: string): string {
  return `${key}\u0002${variant}`;
}

export class ClientVariants {
  constructor(private readonly variantOf: NonNullable<PrecompiledOptions['clientVariant']>) {}

  /** The variant a client gets of an answer depending on `dependsOn`; undefined when alike for all. */
  of(dependsOn: Dependency, clientAddress: string): string | undefined {
    return typeof dependsOn === 'object' ? this.variantOf(dependsOn, clientAddress) : undefined;
  }

  /**
   * The key of the client's variant of `entry`, held under the question's `key`: `key` itself when
   * `entry` is that variant, undefined when the client gets none.
   */
  keyFor(entry: CompiledAnswer, key: string, clientAddress: string): string | undefined {
    const variant = this.variantOf(entry.dependsOn as ServiceEntry, clientAddress);
    if (variant === entry.variant) return key;
    if (variant === undefined) return undefined;
    const keys = (entry.variantKeys ??= new Map());
    let variantKey = keys.get(variant);
    if (variantKey === undefined) keys.set(variant, (variantKey = withVariant(key, variant)));
    return variantKey;
  }
}
