/** Command-line options the demos share. */

/**
 * A port option, `--name 1234` or `--name=1234`; `allowZero`: 0 means "any free port". Exits with
 * a message naming the option when the value is not a port.
 */
export function portOption(name: string, fallback: number, allowZero = false): number {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  const raw = i < 0 ? undefined : args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    process.stderr.write(`demo: ${name} must be a port number (got ${String(raw)})\n`);
    process.exit(2);
  }
  return value;
}
