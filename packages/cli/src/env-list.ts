/** A comma-separated environment variable as a list (blank entries dropped). */
export function listEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
}
