import { parseError } from '../errors'
import type { Field, JsonPathStep } from './ast'

/**
 * Parses `col`, `col->a->>b`, `"my col"->0` into a {@link Field}. Identifiers may be double-quoted
 * (`"a.b"`), which is how PostgREST lets names contain reserved characters.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html#json-columns
 */
export function parseField(input: string, what = 'field'): Field {
  const reader = new Reader(input)
  const field = reader.field()
  if (!reader.done()) throw parseError(`${what} (${input})`, `unexpected "${reader.rest()}"`)
  return field
}

/** A small cursor over a string, shared by the parsers. */
export class Reader {
  pos = 0
  constructor(readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length
  }
  peek(n = 0): string {
    return this.text[this.pos + n] ?? ''
  }
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos)
  }
  rest(): string {
    return this.text.slice(this.pos)
  }
  eat(s: string): boolean {
    if (this.startsWith(s)) {
      this.pos += s.length
      return true
    }
    return false
  }
  expect(s: string, what: string): void {
    if (!this.eat(s)) {
      throw parseError(
        `${what} (${this.text})`,
        this.done()
          ? `unexpected end of input expecting "${s}"`
          : `unexpected "${this.peek()}" expecting "${s}"`,
      )
    }
  }

  /** A double-quoted string with `\"`/`\\` escapes; the cursor is on the opening quote. */
  quoted(what: string): string {
    this.pos++
    let out = ''
    while (!this.done()) {
      const c = this.peek()
      if (c === '\\' && this.pos + 1 < this.text.length) {
        out += this.text[this.pos + 1]
        this.pos += 2
        continue
      }
      if (c === '"') {
        this.pos++
        if (out.includes('\u0000'))
          throw parseError(`${what} (${this.text})`, 'identifiers cannot contain NUL')
        return out
      }
      out += c
      this.pos++
    }
    throw parseError(`${what} (${this.text})`, 'unexpected end of input expecting closing quote')
  }

  /**
   * An identifier: quoted, or a run of characters that are not delimiters of the grammar
   * (`,.:()!` and the start of `->`/`::`), with surrounding spaces trimmed.
   */
  identifier(what: string): string {
    while (this.peek() === ' ') this.pos++
    if (this.peek() === '"') {
      const name = this.quoted(what)
      while (this.peek() === ' ') this.pos++
      return name
    }
    const start = this.pos
    while (!this.done()) {
      const c = this.peek()
      if (c === ',' || c === '.' || c === ':' || c === '(' || c === ')' || c === '!' || c === '"') break
      if (c === '-' && this.peek(1) === '>') break
      this.pos++
    }
    const name = this.text.slice(start, this.pos).trim()
    if (name.includes('\u0000')) throw parseError(`${what} (${this.text})`, 'identifiers cannot contain NUL')
    if (name === '') {
      throw parseError(
        `${what} (${this.text})`,
        this.done()
          ? 'unexpected end of input expecting field name'
          : `unexpected "${this.peek()}" expecting field name`,
      )
    }
    return name
  }

  /** `name` followed by any number of `->key` / `->>key` steps. */
  field(what = 'field'): Field {
    const name = this.identifier(what)
    const jsonPath: JsonPathStep[] = []
    while (this.startsWith('->')) {
      const arrow = this.eat('->>') ? '->>' : '->'
      if (arrow === '->') this.eat('->')
      jsonPath.push({ arrow, key: this.identifier(what) })
    }
    return { name, jsonPath }
  }
}
