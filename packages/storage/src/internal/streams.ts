/**
 * Small pull-based stream wrappers for request bodies on their way to a backend. Pull-based (no
 * internal queue, `highWaterMark: 0`): a chunk is read from the client only when the backend asks
 * for the next one, so backpressure reaches the socket and nothing accumulates in memory.
 */

/** What {@link meter} reports. */
export interface Meter {
  /** Bytes passed through so far. */
  readonly bytes: number
}

/**
 * Passes `source` through, counting bytes; past `maxBytes` the stream errors with `tooLarge()`
 * (and the source is cancelled), so a backend write fails and keeps nothing.
 */
export function meter(
  source: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error,
): { stream: ReadableStream<Uint8Array>; meter: Meter } {
  const reader = source.getReader()
  const state = { bytes: 0 }
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read()
        if (done) {
          controller.close()
          return
        }
        state.bytes += value.byteLength
        if (state.bytes > maxBytes) {
          const error = tooLarge()
          await reader.cancel(error).catch(() => {})
          controller.error(error)
          return
        }
        controller.enqueue(value)
      },
      cancel(reason) {
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, meter: state }
}

/**
 * Passes `source` through, but ends it normally when it fails (the client's connection dropped):
 * what arrived is kept. For tus PATCH requests, whose whole point is keeping the bytes received
 * before a drop ("The Server SHOULD accept PATCH requests … and store as much of the data as
 * possible", tus 1.0 §3.2 PATCH).
 *
 * @see https://tus.io/protocols/resumable-upload#patch
 */
export function endOnError(source: ReadableStream<Uint8Array>): {
  stream: ReadableStream<Uint8Array>
  /** True once the source failed (and the stream was ended early). */
  readonly failed: () => boolean
} {
  const reader = source.getReader()
  let failed = false
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) controller.close()
          else controller.enqueue(value)
        } catch {
          failed = true
          controller.close()
        }
      },
      cancel(reason) {
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, failed: () => failed }
}

/** One stream after another, each opened only when the previous one ended. */
export function concatStreams(
  open: (() => Promise<ReadableStream<Uint8Array>>)[],
): ReadableStream<Uint8Array> {
  let index = 0
  let current: ReadableStreamDefaultReader<Uint8Array> | null = null
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (!current) {
            const next = open[index++]
            if (!next) {
              controller.close()
              return
            }
            current = (await next()).getReader()
          }
          const { done, value } = await current.read()
          if (!done) {
            controller.enqueue(value)
            return
          }
          current.releaseLock()
          current = null
        }
      },
      async cancel(reason) {
        await current?.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

/** A stream of one chunk. */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes)
      controller.close()
    },
  })
}
