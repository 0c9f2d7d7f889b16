/**
 * Counts `new Request(...)` while `fn` runs, by swapping `globalThis.Request` for a counting
 * Proxy: every `new Request` in any module resolves the global at call time, so none escapes.
 * Proves an in-process call builds no HTTP request on its way (`api` never calls the handler).
 */
export async function countRequests<T>(fn: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const Original = globalThis.Request
  let requests = 0
  globalThis.Request = new Proxy(Original, {
    construct(target, args, newTarget) {
      requests++
      return Reflect.construct(target, args, newTarget)
    },
  })
  try {
    return { result: await fn(), requests }
  } finally {
    globalThis.Request = Original
  }
}
