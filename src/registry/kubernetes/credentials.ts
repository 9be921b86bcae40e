// Where the Authorization header comes from. A token file is re-read periodically and after a
// 401, because projected service account tokens are rotated on disk by the kubelet.

import { readFile } from 'node:fs/promises';

export interface Credentials {
  /** The Authorization header to send, or undefined (client certificates, or an open proxy). */
  authorization(): Promise<string | undefined>;
  /** Called after a 401: reloads from the source; true when there is something new worth retrying. */
  refresh(): Promise<boolean>;
  /** For log lines: "token file /var/run/.../token", "static token", "none". */
  readonly description: string;
}

export const NO_CREDENTIALS: Credentials = {
  authorization: async () => undefined,
  refresh: async () => false,
  description: 'none',
};

/** A fixed header value: a token or basic auth written into a kubeconfig. */
export function staticCredentials(header: string, description: string): Credentials {
  return { authorization: async () => header, refresh: async () => false, description };
}

export const TOKEN_REREAD_MS = 60_000;

export class TokenFile implements Credentials {
  readonly description: string;
  private token?: string;
  private readAt = 0;

  constructor(
    private readonly path: string,
    private readonly rereadMs = TOKEN_REREAD_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.description = `token file ${path}`;
  }

  async authorization(): Promise<string> {
    if (this.token === undefined || this.now() - this.readAt >= this.rereadMs) await this.load();
    return `Bearer ${this.token}`;
  }

  async refresh(): Promise<boolean> {
    const before = this.token;
    await this.load();
    return this.token !== before;
  }

  /** A failed re-read keeps the previous token: the file is briefly absent while it is being swapped. */
  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if (this.token !== undefined) return;
      throw new Error(`cannot read the API token from ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const token = text.trim();
    if (token === '') {
      if (this.token !== undefined) return;
      throw new Error(`the API token file ${this.path} is empty`);
    }
    this.token = token;
    this.readAt = this.now();
  }
}
