import type { CompileOptions } from '../compiler/select'
import type { RestContext } from '../context'

/**
 * How a request's columns are rendered: extensions' column types apply to JSON output; a media
 * type contributed with `rawColumns` keeps the root's own types (embeds still render); CSV shows
 * columns as Postgres prints them, as PostgREST does.
 */
export function compileOptionsFor(ctx: Pick<RestContext, 'media' | 'extensions'>): CompileOptions {
  const media = ctx.media
  const render =
    media.kind === 'csv'
      ? 'none'
      : media.kind === 'extension' && media.extension?.mediaType.rawColumns
        ? 'embeds'
        : 'all'
  return { extensions: ctx.extensions, render }
}
