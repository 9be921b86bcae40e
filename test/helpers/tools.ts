// System tools some tests drive (dig, ...): present locally or not, they must be there under CI.
import { execFileSync } from 'node:child_process';

/** Whether `tool` runs here. Missing under CI fails loudly; missing locally prints why the test skips. */
export function requireTool(
  tool: string,
  versionArgs: string[] = ['-v'],
  debianPackage = 'bind9-dnsutils',
): boolean {
  try {
    execFileSync(tool, versionArgs, { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI)
      throw new Error(`${tool} is required under CI but is not installed (.ci/run installs it)`);
    console.warn(`skipping: ${tool} is not installed (apt-get install ${debianPackage})`);
    return false;
  }
}
