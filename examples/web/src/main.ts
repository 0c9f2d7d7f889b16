/**
 * The demo's todo app: sign up (confirmation link from the dev mailbox), then add, edit and
 * delete todos in your own list under RLS, see other tabs' changes arrive over SSE, attach
 * files through storage, and see and revoke the apps you let in through the OAuth consent page —
 * all with `@groundwork/client`.
 */
import { createClient, type RealtimeSubscription } from '@groundwork/client'
import { createOAuthClient, type OAuthGrant } from '@groundwork/client/oauth'

interface Todo {
  id: number
  list_id: number
  title: string
  done: boolean
}

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T
const message = (text: string) => {
  $('#message').textContent = text
}

const config = (await (await fetch('/config.json')).json()) as { anonKey: string }
const client = createClient(location.origin, config.anonKey, { auth: { detectSessionInUrl: true } })
// `client.oauth` is this same module; built here from its own entry on the client's connection, as
// an app that imports only what it uses would (it sends the same session as everything else).
const oauth = createOAuthClient(client.connection)

let listId: number | null = null
let userId: string | null = null
let subscription: RealtimeSubscription | null = null
const todos = new Map<number, Todo>()

client.auth.onAuthStateChange((_event, session) => {
  // Deferred: auth-js's lock is held while it emits.
  setTimeout(() => void show(session?.user ?? null), 0)
})

async function show(user: { id: string; email?: string | undefined } | null) {
  if (user?.id === userId) return
  userId = user?.id ?? null
  subscription?.close()
  subscription = null
  todos.clear()
  $('#grants').replaceChildren()
  $('#auth').hidden = user !== null
  $('#app').hidden = user === null
  if (!user) return
  $('#user').textContent = user.email ?? user.id
  void showGrants()
  // The user's own list: RLS shows only lists they own or are a member of.
  const found = await client.from('lists').select('id').eq('owner_id', user.id).order('id').limit(1)
  if (found.error) return message(found.error.message)
  const list =
    found.data[0] ?? (await client.from('lists').insert({ title: 'My todos' }).select('id').single()).data
  if (!list) return message('Could not create your list')
  listId = list.id as number
  const loaded = await client
    .from('todos')
    .select('id, list_id, title, done')
    .eq('list_id', listId)
    .order('id')
  for (const todo of (loaded.data ?? []) as Todo[]) todos.set(todo.id, todo)
  render()
  subscription = client.realtime.subscribe<Todo>(
    { table: 'todos', filter: `list_id=eq.${listId}` },
    {
      onChange: (change) => {
        if (change.type === 'DELETE') todos.delete(Number(change.old_record?.id))
        else if (change.record) todos.set(change.record.id, change.record)
        $('#live').textContent = `live: ${change.type} at ${new Date().toLocaleTimeString()}`
        render()
      },
      onStatus: (status) => $('#live').setAttribute('data-status', status),
    },
  )
}

function render() {
  const ul = $('#todos')
  ul.replaceChildren(
    ...[...todos.values()]
      .sort((a, b) => a.id - b.id)
      .map((todo) => {
        const li = document.createElement('li')
        li.dataset.testid = 'todo'
        li.dataset.id = String(todo.id)
        li.className = todo.done ? 'done' : ''
        li.innerHTML = `<input type="checkbox" name="done" aria-label="done">
          <input name="title" aria-label="title">
          <button type="button" name="delete">Delete</button>
          <input type="file" name="attach" aria-label="attach a file">
          <p class="files" data-testid="files"></p>`
        const done = li.querySelector('[name=done]') as HTMLInputElement
        const title = li.querySelector('[name=title]') as HTMLInputElement
        done.checked = todo.done
        title.value = todo.title
        done.onchange = () => void update(todo.id, { done: done.checked })
        title.onchange = () => void update(todo.id, { title: title.value })
        ;(li.querySelector('[name=delete]') as HTMLButtonElement).onclick = () => void remove(todo.id)
        const attach = li.querySelector('[name=attach]') as HTMLInputElement
        attach.onchange = () => void upload(todo.id, attach.files?.[0], li)
        void listFiles(todo.id, li)
        return li
      }),
  )
}

async function update(id: number, patch: Partial<Todo>) {
  const { data, error } = await client
    .from('todos')
    .update(patch)
    .eq('id', id)
    .select('id, list_id, title, done')
    .single()
  if (error) return message(error.message)
  todos.set(id, data as Todo)
  render()
}

async function remove(id: number) {
  const { error } = await client.from('todos').delete().eq('id', id)
  if (error) return message(error.message)
  todos.delete(id)
  render()
}

/** Files live in the user's own folder of the `attachments` bucket: `<user id>/<todo id>/<name>`. */
async function upload(todoId: number, file: File | undefined, li: HTMLElement) {
  if (!file || !userId) return
  const { error } = await client.storage
    .from('attachments')
    .upload(`${userId}/${todoId}/${file.name}`, file, {
      upsert: true,
      contentType: file.type || 'application/octet-stream',
    })
  if (error) return message(error.message)
  message(`Attached ${file.name}`)
  await listFiles(todoId, li)
}

async function listFiles(todoId: number, li: HTMLElement) {
  if (!userId) return
  const { data } = await client.storage.from('attachments').list(`${userId}/${todoId}`)
  const names = (data ?? []).map((file) => file.name)
  ;(li.querySelector('.files') as HTMLElement).textContent = names.length ? `Files: ${names.join(', ')}` : ''
}

/** "Connected apps": the OAuth clients the user has granted access to (docs/oauth-provider.md). */
async function showGrants() {
  const { data, error } = await oauth.listGrants()
  if (error) return message(error.message)
  $('#grants').replaceChildren(...data.map(grantItem))
  $('#no-grants').hidden = data.length > 0
}

function grantItem(grant: OAuthGrant): HTMLLIElement {
  const li = document.createElement('li')
  li.dataset.testid = 'grant'
  li.dataset.clientId = grant.client.id
  // Client names are chosen by whoever registered the client: text, never HTML.
  const name = document.createElement('strong')
  name.textContent = grant.client.name
  const scopes = document.createElement('span')
  scopes.className = 'scopes'
  scopes.textContent = grant.scopes.join(', ')
  const granted = document.createElement('time')
  granted.dateTime = grant.granted_at
  granted.textContent = `since ${new Date(grant.granted_at).toLocaleDateString()}`
  const revoke = document.createElement('button')
  revoke.type = 'button'
  revoke.name = 'revoke'
  revoke.textContent = 'Revoke'
  revoke.onclick = async () => {
    // Ends the grant: the app's refresh token is refused from now on, its access tokens on next use.
    const { error } = await oauth.revokeGrant(grant.client.id)
    if (error) return message(error.message)
    message(`Revoked ${grant.client.name}`)
    await showGrants()
  }
  li.append(name, scopes, granted, revoke)
  return li
}

$('#auth').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = new FormData(event.target as HTMLFormElement)
  const email = String(form.get('email'))
  const password = String(form.get('password'))
  const action = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value
  if (action === 'sign-up') {
    const { data, error } = await client.auth.signUp({
      email,
      password,
      options: { emailRedirectTo: location.origin },
    })
    if (error) return message(error.message)
    message(data.session ? 'Signed up' : `Check ${email} for the confirmation link`)
  } else {
    const { error } = await client.auth.signInWithPassword({ email, password })
    message(error ? error.message : '')
  }
})

$('#add').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = event.target as HTMLFormElement
  const input = form.elements.namedItem('title') as HTMLInputElement
  const { data, error } = await client
    .from('todos')
    .insert({ list_id: listId, title: input.value })
    .select('id, list_id, title, done')
    .single()
  if (error) return message(error.message)
  todos.set((data as Todo).id, data as Todo)
  input.value = ''
  render()
})

$('#sign-out').addEventListener('click', () => void client.auth.signOut())

const { data } = await client.auth.getSession()
if (!data.session) $('#auth').hidden = false
