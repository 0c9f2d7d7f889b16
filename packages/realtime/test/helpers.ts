import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Database } from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createParser, type EventSourceMessage } from 'eventsource-parser'

/**
 * A real HTTP server on port 0 in front of a Web handler, through core's Node adapter (streaming,
 * client aborts propagated to `request.signal`, response backpressure honoured).
 */
export async function serve(handler: (request: Request) => Promise<Response>) {
  const sockets = new Set<Socket>()
  const server = http.createServer(toNodeHandler(handler))
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** An SSE event as a test sees it. */
export interface SseEvent {
  id: string | undefined
  event: string
  data: unknown
}

/** Opens an SSE stream with fetch and collects its events; `until` waits for a condition. */
export async function openStream(
  url: string,
  init: { headers?: Record<string, string>; method?: string; body?: string } = {},
) {
  const controller = new AbortController()
  const events: SseEvent[] = []
  const changeEvents: SseEvent[] = []
  const waiters: (() => void)[] = []
  const response = await fetch(url, { ...init, signal: controller.signal })
  let ended = false
  const done = (async () => {
    if (!response.ok || !response.body) return
    const decoder = new TextDecoder()
    const parser = createParser({
      onEvent(message: EventSourceMessage) {
        const event = { id: message.id, event: message.event ?? 'message', data: JSON.parse(message.data) }
        events.push(event)
        if (event.event === 'INSERT' || event.event === 'UPDATE' || event.event === 'DELETE')
          changeEvents.push(event)
        for (const wake of waiters.splice(0)) wake()
      },
    })
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }))
      }
    } catch {
      // aborted
    }
    ended = true
    for (const wake of waiters.splice(0)) wake()
  })()
  return {
    response,
    events,
    get ended() {
      return ended
    },
    changes: () => changeEvents,
    async until(check: (events: SseEvent[]) => boolean, timeout = 10_000) {
      const deadline = Date.now() + timeout
      while (!check(events)) {
        if (ended)
          throw new Error(`stream ended before the condition held; events: ${JSON.stringify(events)}`)
        const remaining = deadline - Date.now()
        if (remaining <= 0)
          throw new Error(`timed out; events so far: ${JSON.stringify(events).slice(0, 2000)}`)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      return events
    },
    async close() {
      controller.abort()
      await done
    },
    done,
  }
}

/** Sleeps `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The demo-like schema: lists, memberships, todos readable by members of their list. */
export async function createTodoSchema(db: Database) {
  await db.query(`
    create table public.lists (id int primary key, name text not null);
    create table public.members (list_id int references public.lists, user_id uuid, primary key (list_id, user_id));
    create table public.todos (
      id bigserial primary key,
      list_id int not null references public.lists,
      title text not null,
      done boolean not null default false,
      priority int not null default 0
    );
    alter table public.todos enable row level security;
    grant select, insert, update, delete on public.todos to authenticated, service_role;
    grant select on public.members, public.lists to authenticated, service_role;
    create policy todos_members on public.todos for select to authenticated using (
      exists (select 1 from public.members m where m.list_id = todos.list_id and m.user_id = auth.uid())
    );
    insert into public.lists values (1, 'one'), (2, 'two'), (3, 'three');
    select realtime.enable('public.todos');
  `)
}

export const ALICE = '11111111-1111-4111-8111-111111111111'
export const BOB = '22222222-2222-4222-8222-222222222222'
