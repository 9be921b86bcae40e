// Nacos instance weights (a float, default 1.0, at most 10000) as SRV weights (an integer 0-65535).
// RFC 2782 weights only matter relative to each other, so the scaling keeps ratios exact where
// real deployments put them: ×100 keeps two decimals (0.01 → 1, 1.0 → 100, 655.35 → 65535), and
// everything above 655.35 is clamped to 65535. An instance with weight > 0 never gets SRV weight 0
// (RFC 2782 gives weight-0 targets almost no traffic), and weight 0 is not an endpoint at all.

export const NACOS_MAX_WEIGHT = 10_000;
export const WEIGHT_SCALE = 100;
export const SRV_MAX_WEIGHT = 65_535;

export function srvWeight(nacosWeight: number): number {
  if (!(nacosWeight > 0)) return 0;
  return Math.min(SRV_MAX_WEIGHT, Math.max(1, Math.round(nacosWeight * WEIGHT_SCALE)));
}
