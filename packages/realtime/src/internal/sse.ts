const encoder = new TextEncoder()

/**
 * One SSE message. `data` is JSON, which never contains a raw newline, so it fits one `data:` line.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */
export function sseMessage(event: string, data: unknown, id?: number | string): Uint8Array {
  const idLine = id === undefined ? '' : `id: ${id}\n`
  return encoder.encode(`${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
}

/** A comment line: ignored by parsers, keeps proxies and load balancers from timing out an idle stream. */
export function sseComment(text: string): Uint8Array {
  return encoder.encode(`: ${text}\n\n`)
}

/** The reconnection delay hint (`retry:`), in ms. */
export function sseRetry(ms: number): Uint8Array {
  return encoder.encode(`retry: ${ms}\n\n`)
}
