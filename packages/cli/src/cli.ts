import { type ParseArgsOptionsConfig, parseArgs } from 'node:util'
import { isGroundworkError } from '@groundwork/core'
import type { Command, CommandGroup } from './command'
import { COMMAND_GROUPS } from './commands/index'
import { type CliIo, createContext, UsageError } from './context'

const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'database-url': { type: 'string' },
}

const GLOBAL_HELP = `Global options:
  --json                 machine-readable output on stdout
  --database-url <url>   the database (default: $DATABASE_URL)
  -h, --help             show help`

function groupHelp(group: CommandGroup): string {
  if (group.run)
    return `Usage: groundwork ${group.name} ${group.run.usage ?? ''}\n\n${group.summary}\n\n${GLOBAL_HELP}\n`
  const commands = group.commands ?? []
  const width = Math.max(...commands.map((command) => command.name.length))
  return `Usage: groundwork ${group.name} <command>\n\n${group.summary}\n\nCommands:\n${commands
    .map(
      (command) =>
        `  ${command.name.padEnd(width)}  ${command.summary}${command.usage ? `\n  ${' '.repeat(width)}  ${command.usage}` : ''}`,
    )
    .join('\n')}\n\n${GLOBAL_HELP}\n`
}

function mainHelp(groups: readonly CommandGroup[]): string {
  const width = Math.max(...groups.map((group) => group.name.length))
  return `Usage: groundwork <command> [options]\n\nCommands:\n${groups
    .map((group) => `  ${group.name.padEnd(width)}  ${group.summary}`)
    .join('\n')}\n\nRun "groundwork <command> --help" for a command's options.\n\n${GLOBAL_HELP}\n`
}

/** Finds the group and command words (the first non-flag arguments) and returns the rest. */
function route(argv: readonly string[], groups: readonly CommandGroup[]) {
  const rest = [...argv]
  let group: CommandGroup | undefined
  let command: Command | undefined
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string
    if (token === '--') break
    if (token === '--database-url') {
      i++
      continue
    }
    if (token.startsWith('-')) continue
    if (!group) {
      if (token === 'help') {
        rest.splice(i, 1, '--help')
        continue
      }
      group = groups.find((candidate) => candidate.name === token)
      if (!group) throw new UsageError(`Unknown command "${token}". Run "groundwork --help".`)
      rest.splice(i, 1)
      i--
      if (group.run) {
        command = group.run
        break
      }
      continue
    }
    command = group.commands?.find((candidate) => candidate.name === token)
    if (!command)
      throw new UsageError(`Unknown command "${group.name} ${token}". Run "groundwork ${group.name} --help".`)
    rest.splice(i, 1)
    break
  }
  return { group, command, rest }
}

/**
 * Runs `groundwork` with `argv` (without the node and script paths); resolves to the exit code:
 * 0 success, 1 failure, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2))
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  },
  groups: readonly CommandGroup[] = COMMAND_GROUPS,
): Promise<number> {
  let json = argv.includes('--json')
  let close: (() => Promise<void>) | undefined
  try {
    const { group, command, rest } = route(argv, groups)
    const options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) }
    const parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true })
    const values = parsed.values as Record<string, string | boolean | undefined>
    json = values.json === true
    if (!group || values.help || !command) {
      io.stdout(group ? groupHelp(group) : mainHelp(groups))
      return values.help || !group ? 0 : 2
    }
    const { context, close: closeContext } = createContext(io, {
      json,
      databaseUrl: values['database-url'] as string | undefined,
    })
    close = closeContext
    await command.run(context, { values, positionals: parsed.positionals })
    return 0
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    const code = usage ? 'USAGE' : isGroundworkError(error) ? error.code : 'ERROR'
    const message = (error as Error).message ?? String(error)
    if (json) io.stderr(`${JSON.stringify({ error: { code, message } })}\n`)
    else io.stderr(`groundwork: ${usage ? '' : `${code}: `}${message}\n`)
    return usage ? 2 : 1
  } finally {
    await close?.()
  }
}
