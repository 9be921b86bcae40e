// HOST:PORT values for --listen and --upstream, IPv6 in brackets ([::1]:1053), and the port rule
// every registry's ports and the port options share.
import { isIP } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
  family: 4 | 6;
}

export function formatHostPort({ host, port, family }: HostPort): string {
  return family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parse HOST[:PORT]; throws a message saying what was expected. */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  const bareIpv6 = !match && isIP(text) === 6;
  const host = bareIpv6 ? text : match?.[1];
  const portText = bareIpv6 ? undefined : match?.[2];
  const family = host ? isIP(host) : 0;
  if (!host || (family !== 4 && family !== 6)) {
    throw new Error(`"${text}": expected IP:PORT, with IPv6 in brackets as [::1]:1053`);
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined) throw new Error(`"${text}": expected a port, as in ${host}:1053`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${text}": port must be 0-65535`);
  }
  return { host, port, family };
}

export const PORT_RULE = 'an integer 1-65535';

export function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** A port given as text, as `--nacos-grpc-port` takes it. */
export function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !isPortNumber(port)) throw new Error(`"${value}": expected a port 1-65535`);
  return port;
}
