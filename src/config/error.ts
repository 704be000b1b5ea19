/** A config file that cannot be used; its message says where and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
