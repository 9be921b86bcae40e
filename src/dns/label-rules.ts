// The naming rules a name must satisfy to be served over DNS: Kubernetes' DNS-1123 label and
// subdomain (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/), which every
// registry's names and the options that name namespaces or labels share, so a name accepted in one
// place is accepted in all of them.

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const LABEL_RULE =
  'a DNS label (1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit)';
export const DOMAIN_RULE = 'a domain name (dot-separated DNS labels, at most 253 characters)';
/** DNS-1123 label: what a namespace, service, port name or endpoint hostname may be. */
export function isDnsLabel(name: string): boolean {
  return LABEL.test(name);
}

/** DNS-1123 subdomain: pod and slice names, ExternalName targets. */
export function isDnsSubdomain(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every(isDnsLabel);
}
