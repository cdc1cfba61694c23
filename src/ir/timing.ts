/**
 * Pass timing: with `DEBUG=fhirgen:*` or `DEBUG=fhirgen:ir` in the environment each IR pass prints
 * its duration on stderr, so that a slow pass can be found without a profiler.
 */

const NAMESPACE = 'fhirgen:ir';

/** Whether a `DEBUG` value (comma or space separated patterns, `*` as wildcard) enables `namespace`. */
export function debugEnabled(debug: string | undefined, namespace: string = NAMESPACE): boolean {
  if (!debug) return false;
  return debug
    .split(/[\s,]+/)
    .filter((pattern) => pattern.length > 0 && !pattern.startsWith('-'))
    .some((pattern) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(namespace),
    );
}

export type PassTimer = <T>(name: string, pass: () => T) => T;

/** A timer that runs each pass and, when enabled, writes `fhirgen:ir <label> <name> <ms>` to `write`. */
export function passTimer(
  label: string,
  enabled: boolean = debugEnabled(process.env.DEBUG),
  write: (line: string) => void = (line) => process.stderr.write(line),
): PassTimer {
  return (name, pass) => {
    if (!enabled) return pass();
    const started = process.hrtime.bigint();
    const result = pass();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    write(`${NAMESPACE} ${label} ${name} ${ms.toFixed(1)}ms\n`);
    return result;
  };
}
