// Small readers shared by the ways of configuring the connection; errors name the setting.

import { readFile } from 'node:fs/promises';

export function parseServerUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${what} ${JSON.stringify(text)} is not a URL; expected e.g. https://10.96.0.1:443`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${what} ${JSON.stringify(text)} must start with http:// or https://`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new Error(`${what} ${JSON.stringify(text)} must not have a query or fragment`);
  }
  return url;
}

export async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
