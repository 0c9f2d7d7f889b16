import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Anti-enumeration timing: the flows that answer the same whether or not an address has an
 * account (`/signup`, `/otp`, `/magiclink`, `/recover`, `/resend`) would still tell by how long
 * they take — mailing a link is a transaction with a token, a flow state and an outbox row;
 * "no such account" is one index lookup (24 ms against 2 ms on the demo). So the part of each flow
 * that depends on the account runs inside {@link ResponseEqualizer.run}:
 *
 * - it takes at least `uniformResponseMs` (the floor hides the usual difference outright);
 * - a run that did not take the reference path (the one that mails, or creates the account) also
 *   waits until a duration drawn from the recent reference runs of that flow has passed, so under
 *   load, when the reference path outgrows the floor, both answers still take alike.
 *
 * Everything before the section (validation, hashing, the per-IP and per-address limits) depends
 * only on the request, never on the account.
 */
export interface ResponseEqualizer {
  /**
   * Runs `section`, which calls `reference()` when it takes the reference path; resolves or
   * rejects with the section's outcome once the section's time is equalised.
   */
  run<T>(flow: string, section: (reference: () => void) => Promise<T>): Promise<T>
}

/** How many recent reference durations each flow keeps to draw from. */
const SAMPLES = 32

/** Builds a {@link ResponseEqualizer} with a floor of `minMs` (per process; samples are not shared). */
export function createResponseEqualizer(
  minMs: number,
  random: () => number = Math.random,
): ResponseEqualizer {
  const samples = new Map<string, number[]>()

  function record(flow: string, duration: number): void {
    const list = samples.get(flow) ?? []
    list.push(duration)
    if (list.length > SAMPLES) list.shift()
    samples.set(flow, list)
  }

  function draw(flow: string): number {
    const list = samples.get(flow)
    if (!list || list.length === 0) return 0
    return list[Math.floor(random() * list.length)] as number
  }

  return {
    async run(flow, section) {
      const started = performance.now()
      let reference = false
      try {
        return await section(() => {
          reference = true
        })
      } finally {
        const elapsed = performance.now() - started
        if (reference) record(flow, elapsed)
        const target = Math.max(minMs, reference ? 0 : draw(flow))
        if (elapsed < target) await sleep(target - elapsed)
      }
    },
  }
}
