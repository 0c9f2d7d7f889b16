/** The phases PostgREST's `Server-Timing` header reports, in its order. */
const PHASES = ['jwt', 'parse', 'plan', 'transaction', 'response'] as const

/** One phase of a request. */
export type TimingPhase = (typeof PHASES)[number]

/**
 * Times a request's phases for PostgREST's `Server-Timing` header (`serverTimingEnabled`):
 * `jwt` (authenticate), `parse` (body, query string, headers, negotiation), `plan` (compiling the
 * SQL), `transaction` (the database round trips), `response` (building the answer). Each
 * {@link lap} charges the time since the previous one to a phase.
 *
 * @see https://docs.postgrest.org/en/v14/references/observability.html#server-timing-header
 * @see https://www.w3.org/TR/server-timing/
 */
export class ServerTiming {
  readonly #durations = new Map<TimingPhase, number>()
  #last = performance.now()

  /** Charges the time since the last lap (or creation) to `phase`. */
  lap(phase: TimingPhase): void {
    const now = performance.now()
    this.#durations.set(phase, (this.#durations.get(phase) ?? 0) + (now - this.#last))
    this.#last = now
  }

  /** `jwt;dur=0.1, parse;dur=0.2, …` (milliseconds, one decimal, as PostgREST prints them). */
  header(): string {
    return PHASES.filter((phase) => this.#durations.has(phase))
      .map((phase) => `${phase};dur=${(this.#durations.get(phase) as number).toFixed(1)}`)
      .join(', ')
  }
}
