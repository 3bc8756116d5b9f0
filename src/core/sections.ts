// Pure: maps a database's tables and the app's files onto a profile's named
// sections. Tables that no section names are never dropped: they go in the
// section that takes "*", else in an `other` section, so every backup and
// every full restore still carries them.

import type { SectionSummary } from './manifest.js';
import { namedTables, OTHER_SECTION, type Profile } from './profiles.js';

export { OTHER_SECTION };

/** Which section each table of the database belongs to (table -> section name). */
export function sectionOfTables(profile: Profile, tables: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const def of profile.sections) {
    if (def.tables === '*') continue;
    for (const t of def.tables) if (tables.includes(t)) out.set(t, def.name);
  }
  const rest = profile.sections.find((s) => s.tables === '*')?.name ?? OTHER_SECTION;
  for (const t of tables) if (!out.has(t)) out.set(t, rest);
  return out;
}

/** The label of a section, the profile's words ("Other tables" for the rest). */
export function sectionLabel(profile: Profile, name: string): string {
  return profile.sections.find((s) => s.name === name)?.label ?? 'Other tables';
}

/** Tables of the database that no section names (and no "*" section takes). */
export function unnamedTables(profile: Profile, tables: readonly string[]): string[] {
  if (profile.sections.some((s) => s.tables === '*')) return [];
  const named = new Set(namedTables(profile));
  return tables.filter((t) => !named.has(t));
}

export function summarizeSections(
  profile: Profile,
  tables: Record<string, number>,
  files: number | null,
  hasSettings: boolean,
): SectionSummary[] {
  const owner = sectionOfTables(profile, Object.keys(tables));
  const out: SectionSummary[] = [];
  for (const def of profile.sections) {
    const summary: SectionSummary = { name: def.name, label: def.label, tables: {} };
    for (const [t, s] of owner) if (s === def.name) summary.tables[t] = tables[t]!;
    if (def.files && files !== null) summary.files = files;
    if (def.settings && hasSettings) summary.settings = true;
    out.push(summary);
  }
  const rest = [...owner].filter(([, s]) => s === OTHER_SECTION).map(([t]) => t);
  if (rest.length > 0) {
    out.push({
      name: OTHER_SECTION,
      label: 'Other tables',
      tables: Object.fromEntries(rest.map((t) => [t, tables[t]])),
    });
  }
  return out;
}
