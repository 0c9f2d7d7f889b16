/**
 * `@groundwork/client/storage`: `@supabase/storage-js` pointed at `/storage/v1` (Groundwork's
 * storage speaks the Supabase Storage API), sending the signed-in user's token so RLS on
 * `storage.objects` decides.
 *
 * @see https://supabase.com/docs/reference/javascript/storage-from-upload
 */
import { StorageClient } from '@supabase/storage-js'
import type { GroundworkConnection } from './connection'

/** The storage-js client. */
export type GroundworkStorageClient = StorageClient

/**
 * Creates the storage client.
 *
 * @example
 * ```ts
 * const storage = createStorageClient(connection)
 * await storage.from('avatars').upload(`${user.id}/me.png`, file, { contentType: 'image/png' })
 * ```
 */
export function createStorageClient(connection: GroundworkConnection): GroundworkStorageClient {
  return new StorageClient(connection.serviceUrl('storage'), { ...connection.headers }, connection.fetch)
}
