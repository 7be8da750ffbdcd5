/**
 * Splits command-line arguments (without node and the script) at the first `--`, which ends polyarch's
 * options: `own` is what polyarch reads; `rest` starts with the `--` and is passed on as written (to
 * the builder, for `polyarch build`). Every scan of the whole argv goes through this.
 */
export function atEndOfOptions(args: readonly string[]): { own: string[]; rest: string[] } {
  const at = args.indexOf("--");
  return at === -1 ? { own: [...args], rest: [] } : { own: args.slice(0, at), rest: args.slice(at) };
}
