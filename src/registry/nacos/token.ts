// The Nacos accessToken, kept fresh: a login answers `{accessToken, tokenTtl}` (seconds) and every
// request carries the token. It is renewed once 80% of its life has passed, so requests never
// race its expiry, and at once when the server rejects it (a restarted server forgets tokens).

export interface Login {
  accessToken: string;
  /** Seconds the token stays valid. */
  tokenTtl: number;
}

export const REFRESH_AT = 0.8;

export class TokenKeeper {
  private token?: string;
  private refreshAt = 0;
  private pending?: Promise<string>;
  /** Logins that succeeded, for status and tests. */
  logins = 0;

  constructor(
    private readonly login: (signal: AbortSignal) => Promise<Login>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token valid for a while yet; logs in when there is none or it is near its end. */
  async get(signal: AbortSignal): Promise<string> {
    if (this.token !== undefined && this.now() < this.refreshAt) return this.token;
    // One login at a time however many polls need a token.
    this.pending ??= this.renew(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The server refused `token`: the next get() logs in again (unless someone already has). */
  rejected(token: string): void {
    if (this.token === token) this.token = undefined;
  }

  private async renew(signal: AbortSignal): Promise<string> {
    const started = this.now();
    const { accessToken, tokenTtl } = await this.login(signal);
    this.token = accessToken;
    this.refreshAt = started + tokenTtl * 1000 * REFRESH_AT;
    this.logins += 1;
    return accessToken;
  }
}
