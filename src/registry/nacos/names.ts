// Nacos service names as DNS labels. Nacos names are case-sensitive and may hold characters DNS
// labels cannot (`:`, `_`, `.`, `@`); some servers return them as `GROUP@@name`.

import { isDnsLabel } from '../../dns/label-rules.js';

/** The bare service name: `DEFAULT_GROUP@@orders` → `orders`. */
export function bareServiceName(name: string): string {
  const at = name.indexOf('@@');
  return at === -1 ? name : name.slice(at + 2);
}

/** The DNS label a Nacos service name is served under, or undefined if it cannot be one. */
export function serviceLabel(name: string): string | undefined {
  const label = bareServiceName(name).toLowerCase();
  return isDnsLabel(label) ? label : undefined;
}

/** `public` is the default namespace; 1.x and 2.x servers call its ID "" and 3.x "public". */
export function isPublicNamespace(id: string): boolean {
  return id === '' || id === 'public';
}
