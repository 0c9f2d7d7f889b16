import { createDatabase, type Database } from '@groundwork/core'

/** Where a command writes. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string | undefined>
}

/** What every command receives. */
export interface CommandContext {
  readonly io: CliIo
  /** `--json`: machine-readable output on stdout. */
  readonly json: boolean
  /** The database named by `--database-url` or `DATABASE_URL`, connected on first use. */
  database(): Database
  /** Prints `rows` as an aligned table (or JSON with `--json`). */
  table(rows: readonly Record<string, unknown>[], columns: readonly string[]): void
  /** Prints one value: JSON with `--json`, else `text` (or key: value lines). */
  result(value: unknown, text?: string): void
  /** A progress/status line on stderr (never pollutes `--json` output). */
  info(text: string): void
}

/** A usage mistake (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** `nextRunAt` → `NEXT_RUN_AT`. */
function header(column: string): string {
  return column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

/** Renders rows as a plain, aligned text table (no colors: output is often piped). */
export function renderTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => cell(row[column]).replaceAll('\n', ' ')))
  const widths = columns.map((column, i) =>
    Math.min(60, Math.max(header(column).length, ...cells.map((line) => (line[i] ?? '').length))),
  )
  const fit = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width)
  const lines = [columns.map((column, i) => fit(header(column), widths[i] as number)).join('  ')]
  for (const line of cells) lines.push(line.map((text, i) => fit(text, widths[i] as number)).join('  '))
  return `${lines.map((line) => line.trimEnd()).join('\n')}\n`
}

/** Builds the context; `close()` ends the database pool if one was opened. */
export function createContext(io: CliIo, options: { json: boolean; databaseUrl?: string | undefined }) {
  let db: Database | undefined
  const context: CommandContext = {
    io,
    json: options.json,
    database() {
      if (db) return db
      const url = options.databaseUrl ?? io.env.DATABASE_URL
      if (!url)
        throw new UsageError('Set DATABASE_URL (or pass --database-url) to the PostgreSQL database to use.')
      db = createDatabase({ connectionString: url, max: 4 })
      return db
    },
    table(rows, columns) {
      if (options.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`)
      else if (rows.length === 0) io.stdout('(none)\n')
      else io.stdout(renderTable(rows, columns))
    },
    result(value, text) {
      if (options.json) io.stdout(`${JSON.stringify(value, null, 2)}\n`)
      else if (text !== undefined) io.stdout(`${text}\n`)
      else if (value && typeof value === 'object') {
        const entries = Object.entries(value as Record<string, unknown>)
        const width = Math.max(...entries.map(([key]) => key.length))
        io.stdout(`${entries.map(([key, v]) => `${key.padEnd(width)}  ${cell(v)}`).join('\n')}\n`)
      } else io.stdout(`${cell(value)}\n`)
    },
    info(text) {
      io.stderr(`${text}\n`)
    },
  }
  return {
    context,
    async close() {
      await db?.close()
    },
  }
}
