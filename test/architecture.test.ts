// The shape of src/: no module imports itself back through others, and
// center.ts stays a composition root. (The layers are enforced by lint.)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every relative import of each module, types included. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)]
      .map((m) => path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')))
      .filter((t) => fs.existsSync(t));
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one module, or a self-import. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe('architecture', () => {
  it('finds a cycle when there is one (the check itself works)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(
      cycles(graph).map((c) => c.sort()),
      [['a', 'b', 'c']],
    );
  });

  it('has no import cycles in src/', () => {
    const found = cycles(importGraph(sources(SRC)));
    assert.deepEqual(
      found.map((c) => c.map((f) => path.relative(SRC, f))),
      [],
      'modules that import each other, directly or through others',
    );
  });

  it('keeps center.ts a composition root and every other module under 600 lines', () => {
    const long = sources(SRC)
      .map((f) => ({
        f: path.relative(SRC, f),
        lines: fs.readFileSync(f, 'utf8').split('\n').length,
      }))
      // The demo generator is data, not logic.
      .filter(({ f, lines }) => f !== path.join('source', 'demo.ts') && lines > 600);
    assert.deepEqual(long, []);
    const center = fs.readFileSync(path.join(SRC, 'center.ts'), 'utf8').split('\n').length;
    assert.ok(center < 600, `center.ts has ${center} lines`);
  });
});
