// Pure: maps a database's tables and the app's files onto a profile's named
// sections. Tables that no section names are never dropped: they go in an
// `other` section, so every backup and every full restore still carries them.

import type { SectionSummary } from './manifest.js';
import type { Profile } from './profiles.js';

export const OTHER_SECTION = 'other';

export function summarizeSections(
  profile: Profile,
  tables: Record<string, number>,
  files: number | null,
  hasSettings: boolean,
): SectionSummary[] {
  const claimed = new Set<string>();
  const out: SectionSummary[] = [];
  for (const def of profile.sections) {
    const everything = def.tables.length === 0;
    const names = everything ? Object.keys(tables) : def.tables.filter((t) => t in tables);
    const summary: SectionSummary = { name: def.name, label: def.label, tables: {} };
    for (const t of names) {
      summary.tables[t] = tables[t]!;
      claimed.add(t);
    }
    if (def.files && files !== null) summary.files = files;
    if (def.settings && hasSettings) summary.settings = true;
    out.push(summary);
  }
  const rest = Object.keys(tables).filter((t) => !claimed.has(t));
  if (rest.length > 0) {
    out.push({
      name: OTHER_SECTION,
      label: 'Other tables',
      tables: Object.fromEntries(rest.map((t) => [t, tables[t]])),
    });
  }
  return out;
}
