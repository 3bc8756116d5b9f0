// The page's one templating helper: a tagged template that escapes every
// interpolated value unless it is already markup made by this helper. Render
// functions return Html, so nothing reaches the browser unescaped by accident.

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escape(String(v));
}

/** html`<p>${text}</p>`: every value escaped; arrays joined; null, undefined and false print nothing. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup this module did not make, trusted as is (only for constants written in the source). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** `selected`/`checked`-style boolean attributes. */
export function attr(name: string, on: boolean): Html {
  return new Html(on ? ` ${name}` : '');
}
