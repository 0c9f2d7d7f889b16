/** `Content-Range: 0-9/100` (`*` total when not counted, `*\/0`-style for empty pages). */
export function contentRange(offset: number, pageTotal: number, total: number | null): string {
  const totalText = total === null ? '*' : String(total)
  if (pageTotal === 0) return `*/${totalText}`
  return `${offset}-${offset + pageTotal - 1}/${totalText}`
}
