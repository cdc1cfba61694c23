/**
 * A security setting that cannot work (missing key file, certificate that does not match its key,
 * clock skew beyond what SECURITY.md allows...). Thrown at start-up so that the server refuses to
 * start with a message naming the setting, instead of crashing later or running insecurely.
 */
export class SecurityConfigError extends Error {
  readonly setting: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.name = 'SecurityConfigError';
    this.setting = setting;
  }
}
