// Build dist/ once, as `npm run build` builds it (executable main.js, dist/REVISION), so the
// command-line tests run the real `clusterdns` binary, `npm start` included.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
