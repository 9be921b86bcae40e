// Reloads that kept the running configuration: a configuration that did not pass its checks, or
// a part that could not be built from it. Counted per attempt, as CoreDNS's reload plugin counts
// coredns_reload_failed_total (plugin/reload/metrics.go).
export const reloadFailures = { count: 0 };
