// What the host's own files give the chain: hosts entries (--hosts-file) and the upstreams of
// resolv.conf.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from '../config/address.js';
import { ConfigError, type Config } from '../config/config.js';
import { HostsResolver, parseHosts } from '../resolve/hosts/hosts.js';
import { readResolvConf, upstreamsFromResolvConf, type ResolvConf } from '../resolve/forward/resolv-conf.js';

/**
 * The hosts entries of --hosts and --hosts-file. A missing file is a warning and serves the inline
 * entries, as CoreDNS's hosts does (k3s's NodeHosts appears once the node has joined; the file is
 * watched, and read when it does); a file that cannot be read otherwise fails the (re)load.
 */
export function readHosts(config: Config, logger: Logger): HostsResolver | undefined {
  const entries = parseHosts(config.hosts.lines.join('\n'), '--hosts');
  const file = config.hosts.file;
  if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      if (code !== 'ENOENT') {
        // A directory, or a file this user may not read: the fix is in what was given.
        const reasons: Record<string, string> = {
          EACCES: 'permission denied: make it readable by the user the server runs as',
          EISDIR: 'a directory: name the hosts file itself',
        };
        const reason = (code && reasons[code]) ?? message;
        throw new ConfigError(`--hosts-file ${file}: cannot read it: ${reason}`, { cause: error });
      }
      logger.warn({ file }, 'hosts file does not exist: serving its inline entries until it does');
    }
    if (text !== undefined) entries.push(...parseHosts(text, `--hosts-file ${file}`));
  }
  const { zones, fallthrough } = config.hosts;
  // Without fallthrough, hosts answers for every name of its zones, listed or not.
  const everyName = fallthrough.includes('.');
  return entries.length || !everyName
    ? new HostsResolver(entries, config.hosts.ttl, { zones, fallthrough })
    : undefined;
}

export function readHostResolvConf(config: Config, logger: Logger): ResolvConf | undefined {
  // '': no host resolver at all (a Corefile block without forward).
  if (config.resolvConf === '') return undefined;
  try {
    return readResolvConf(readFileSync(config.resolvConf, 'utf8'));
  } catch (error) {
    logger.warn({ err: error, file: config.resolvConf }, 'cannot read resolv.conf');
    return undefined;
  }
}

/** --upstream, else the host's nameservers less this server; none means no forwarding. */
export function upstreamsOf(config: Config, resolvConf: ResolvConf | undefined, logger: Logger): HostPort[] {
  if (config.upstreams.length > 0) return config.upstreams;
  if (config.resolvConf === '') return [];
  try {
    if (!resolvConf) throw new Error(`no upstream: cannot read ${config.resolvConf}; pass --upstream`);
    const upstreams = upstreamsFromResolvConf(resolvConf, config.listen, {
      source: config.resolvConf,
    });
    logger.info({ upstreams: upstreams.map(formatHostPort), from: config.resolvConf }, 'forwarding');
    return upstreams;
  } catch (error) {
    logger.warn(`${(error as Error).message}; names outside the served zones get REFUSED`);
    return [];
  }
}
