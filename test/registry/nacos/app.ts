// A Spring-Cloud-style application as Nacos sees it: it registers one ephemeral instance over the
// v1 open API (metadata as Spring Cloud Alibaba writes it) and beats with the full beat body, so
// after an eviction its next beat registers it again, as the Nacos 1.x client does.

export interface AppOptions {
  nacos: string;
  service: string;
  ip: string;
  port: number;
  namespaceId?: string;
  group?: string;
  weight?: number;
  metadata?: Record<string, string>;
  /** A token from login, when the server requires one. */
  accessToken?: string;
}

export class SpringCloudStyleApp {
  constructor(private readonly opts: AppOptions) {}

  private get metadata(): Record<string, string> {
    return { 'preserved.register.source': 'SPRING_CLOUD', ...this.opts.metadata };
  }

  async register(): Promise<void> {
    await this.call('POST', '/nacos/v1/ns/instance', {
      ip: this.opts.ip,
      port: String(this.opts.port),
      weight: String(this.opts.weight ?? 1),
      enabled: 'true',
      healthy: 'true',
      ephemeral: 'true',
      clusterName: 'DEFAULT',
      metadata: JSON.stringify(this.metadata),
    });
  }

  async beat(): Promise<void> {
    const beat = {
      cluster: 'DEFAULT',
      ip: this.opts.ip,
      port: this.opts.port,
      metadata: this.metadata,
      scheduled: false,
      serviceName: `${this.opts.group ?? 'DEFAULT_GROUP'}@@${this.opts.service}`,
      stopped: false,
      weight: this.opts.weight ?? 1,
    };
    await this.call('PUT', '/nacos/v1/ns/instance/beat', { beat: JSON.stringify(beat) });
  }

  async deregister(): Promise<void> {
    await this.call('DELETE', '/nacos/v1/ns/instance', {
      ip: this.opts.ip,
      port: String(this.opts.port),
      clusterName: 'DEFAULT',
      ephemeral: 'true',
    });
  }

  private async call(method: string, path: string, params: Record<string, string>): Promise<void> {
    const url = new URL(path, this.opts.nacos);
    const all: Record<string, string> = {
      serviceName: this.opts.service,
      groupName: this.opts.group ?? 'DEFAULT_GROUP',
      ...(this.opts.namespaceId !== undefined && { namespaceId: this.opts.namespaceId }),
      ...(this.opts.accessToken !== undefined && { accessToken: this.opts.accessToken }),
      ...params,
    };
    for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
    const response = await fetch(url, { method });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    await response.text();
  }
}
