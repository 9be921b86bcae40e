// Splitting presentation-form names into labels. Escapes stay inside their label (`a\.b` is one
// label), so a name read off the wire is never split where its bytes had no boundary.

export function splitName(name: string): string[] {
  if (name === '' || name === '.') return [];
  if (!name.includes('\\')) return name.split('.');
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const char = name.charCodeAt(i);
    if (char === 0x5c /* \ */) i++;
    else if (char === 0x2e /* . */) {
      labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  labels.push(name.slice(start));
  return labels;
}

/** DNS case-insensitivity is ASCII-only (RFC 4343): other bytes are compared as they are. */
export function lowerLabel(label: string): string {
  return /[A-Z]/.test(label) ? label.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()) : label;
}
