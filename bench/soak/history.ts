// What the registries held for each name, and when: the soak accepts an answer only if it is one
// the table held at some version within the window around its query. A version stays acceptable
// for `lagMs` after it was replaced (the server learns of a change a moment later), and, around a
// registry outage, until the server has caught up with the registry again (it keeps the last good
// view while the registry is away, and reconnects with backoff once it is back).

interface Version {
  addresses: string;
  setAt: number;
  replacedAt?: number;
}

export type Verdict = 'ok' | 'wrong';

export class AnswerHistory {
  private readonly versions = new Map<string, Version[]>();
  private readonly outages: { downAt: number; upAt?: number }[] = [];

  constructor(private readonly lagMs: number) {}

  /** `name` answers `addresses` from `at` on (ms, performance.now()). */
  set(name: string, addresses: string[], at: number): void {
    const list = this.versions.get(name) ?? [];
    const last = list.at(-1);
    if (last) last.replacedAt = at;
    list.push({ addresses: key(addresses), setAt: at });
    // Versions older than any query in flight could still need are dropped: memory stays flat.
    while (list.length > 2 && list[1]!.replacedAt! < at - 120_000) list.shift();
    this.versions.set(name, list);
  }

  registryDown(at: number): void {
    this.outages.push({ downAt: at });
  }

  /** The server has caught up with the registry again (not merely: the registry is back). */
  registryUp(at: number): void {
    const open = this.outages.at(-1);
    if (open && open.upAt === undefined) open.upAt = at;
  }

  /** Whether `addresses` was the answer of `name` at some moment of [sentAt, doneAt]. */
  check(name: string, addresses: string[], sentAt: number, doneAt: number): Verdict {
    const wanted = key(addresses);
    for (const version of this.versions.get(name) ?? []) {
      if (version.addresses !== wanted || version.setAt > doneAt) continue;
      if (version.replacedAt === undefined || this.endOf(version.replacedAt) >= sentAt) return 'ok';
    }
    return 'wrong';
  }

  names(): string[] {
    return [...this.versions.keys()];
  }

  private endOf(replacedAt: number): number {
    let end = replacedAt + this.lagMs;
    // Until the server has caught up after an outage, it may serve what it held when the outage
    // began: a version replaced from just before the outage until the catch-up stays right then.
    for (const { downAt, upAt } of this.outages) {
      if (replacedAt >= downAt - this.lagMs && replacedAt <= (upAt ?? Infinity)) {
        end = Math.max(end, (upAt ?? Infinity) + this.lagMs);
      }
    }
    return end;
  }
}

function key(addresses: string[]): string {
  return [...addresses].sort().join(',');
}
