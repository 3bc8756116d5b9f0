// Pure: how Coffre hands values to a user's shell command (a restore hook, an
// alert command). The command inherits the process environment as it is;
// Coffre's own variables are exported by a prefix, each value single-quoted
// so that no text in it is ever run.

/** `export NAME='value';` for each variable, then the command. */
export function withExports(command: string, vars: Record<string, string>): string {
  const exports = Object.entries(vars).map(([name, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`Not a variable name: ${name}`);
    return `export ${name}='${value.replace(/'/g, `'\\''`)}';`;
  });
  return `${exports.join(' ')} ${command}`;
}
