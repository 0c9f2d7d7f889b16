import type { ParseArgsOptionsConfig } from 'node:util'
import type { CommandContext } from './context'

/** Parsed arguments of one command (from `node:util` `parseArgs`). */
export interface CommandArgs {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

/** One command, e.g. `jobs retry <id>`. */
export interface Command {
  name: string
  /** One line, shown in help. */
  summary: string
  /** Arguments after the command name, e.g. `<id> [--reason text]`. */
  usage?: string
  /** Its flags (`--json`, `--database-url` and `--help` are global). */
  options?: ParseArgsOptionsConfig
  run(context: CommandContext, args: CommandArgs): Promise<void>
}

/**
 * A command group (`groundwork jobs …`). A group with `run` is itself a command (`groundwork
 * migrate`); otherwise it dispatches to `commands`. Add a group to `src/commands/index.ts`.
 */
export interface CommandGroup {
  name: string
  summary: string
  commands?: readonly Command[]
  run?: Command
}

/** Declares a group (identity: for type inference and readability). */
export function defineGroup(group: CommandGroup): CommandGroup {
  return group
}
