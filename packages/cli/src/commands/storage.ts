import { createWriteStream } from 'node:fs'
import { resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  createStorage,
  localBackend,
  type Storage,
  type StorageBackend,
  s3Backend,
} from '@groundwork/storage'
import { stringFlag } from '../args'
import { defineGroup } from '../command'
import { type CommandContext, UsageError } from '../context'

const services = new WeakMap<CommandContext, Storage>()

/**
 * The backend the demo and the CLI share: S3 when `STORAGE_S3_ENDPOINT` and `STORAGE_S3_BUCKET`
 * are set (with `STORAGE_S3_REGION`, `STORAGE_S3_ACCESS_KEY_ID`, `STORAGE_S3_SECRET_ACCESS_KEY`),
 * else the local folder `--root`, `STORAGE_ROOT`, or `.groundwork/storage`.
 */
function backendOf(context: CommandContext, root: string | undefined): StorageBackend {
  const env = context.io.env
  if (env.STORAGE_S3_ENDPOINT || env.STORAGE_S3_BUCKET) {
    if (
      !env.STORAGE_S3_ENDPOINT ||
      !env.STORAGE_S3_BUCKET ||
      !env.STORAGE_S3_ACCESS_KEY_ID ||
      !env.STORAGE_S3_SECRET_ACCESS_KEY
    ) {
      throw new UsageError(
        'Set STORAGE_S3_ENDPOINT, STORAGE_S3_BUCKET, STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY together.',
      )
    }
    return s3Backend({
      endpoint: env.STORAGE_S3_ENDPOINT,
      bucket: env.STORAGE_S3_BUCKET,
      region: env.STORAGE_S3_REGION ?? 'us-east-1',
      accessKeyId: env.STORAGE_S3_ACCESS_KEY_ID,
      secretAccessKey: env.STORAGE_S3_SECRET_ACCESS_KEY,
    })
  }
  return localBackend({ root: resolve(root ?? env.STORAGE_ROOT ?? '.groundwork/storage') })
}

/** The storage service on the command's database, acting as the service role (nothing is served). */
function storageService(context: CommandContext, root: string | undefined): Storage {
  let storage = services.get(context)
  if (!storage) {
    storage = createStorage({
      db: context.database(),
      backend: backendOf(context, root),
      // The CLI serves no HTTP and signs no URL a server must verify: any secret will do.
      signingSecret: context.io.env.JWT_SECRET ?? 'groundwork-cli-signs-nothing-it-serves-itself',
      authenticate: async () => {
        throw new Error('the CLI does not authenticate requests')
      },
    })
    services.set(context, storage)
  }
  return storage
}

const ROOT_OPTION = { root: { type: 'string' } } as const
const BUCKET_COLUMNS = ['id', 'public', 'file_size_limit', 'allowed_mime_types', 'created_at']

/** `groundwork storage buckets list|create`, `groundwork storage upload|download`. */
export const storageGroup = defineGroup({
  name: 'storage',
  summary: 'Buckets and files of @groundwork/storage (as the service role)',
  commands: [
    {
      name: 'buckets',
      summary: 'List buckets, or create one',
      usage:
        'list | create <id> [--public] [--file-size-limit 20MB] [--allowed-mime-types image/*,text/plain]',
      options: {
        ...ROOT_OPTION,
        public: { type: 'boolean' },
        'file-size-limit': { type: 'string' },
        'allowed-mime-types': { type: 'string' },
      },
      async run(context, { values, positionals }) {
        const [action, id, extra] = positionals
        const storage = storageService(context, stringFlag(values.root))
        if (action === 'list' && id === undefined) {
          const buckets = await storage.api.listBuckets({ limit: 1000 })
          return context.table(buckets as unknown as Record<string, unknown>[], BUCKET_COLUMNS)
        }
        if (action === 'create' && id !== undefined && extra === undefined) {
          const limit = stringFlag(values['file-size-limit'])
          const types = stringFlag(values['allowed-mime-types'])
          await storage.api.createBucket({
            id,
            public: values.public === true,
            ...(limit !== undefined ? { fileSizeLimit: /^\d+$/.test(limit) ? Number(limit) : limit } : {}),
            ...(types !== undefined ? { allowedMimeTypes: types.split(',').map((t) => t.trim()) } : {}),
          })
          return context.result(await storage.api.getBucket(id), `Bucket ${id} created.`)
        }
        throw new UsageError('Usage: groundwork storage buckets list | create <id> [options]')
      },
    },
    {
      name: 'upload',
      summary: 'Upload a file (streamed) to bucket/name',
      usage: '<bucket> <name> <file> [--content-type type] [--cache-control 3600] [--upsert]',
      options: {
        ...ROOT_OPTION,
        'content-type': { type: 'string' },
        'cache-control': { type: 'string' },
        upsert: { type: 'boolean' },
      },
      async run(context, { values, positionals }) {
        const [bucket, name, file, extra] = positionals
        if (!bucket || !name || !file || extra !== undefined) {
          throw new UsageError('Usage: groundwork storage upload <bucket> <name> <file>')
        }
        const cacheControl = stringFlag(values['cache-control'])
        const result = await storageService(context, stringFlag(values.root)).api.uploadFile(
          bucket,
          name,
          file,
          {
            contentType: stringFlag(values['content-type']) ?? 'application/octet-stream',
            upsert: values.upsert === true,
            ...(cacheControl !== undefined
              ? { cacheControl: /^\d+$/.test(cacheControl) ? `max-age=${cacheControl}` : cacheControl }
              : {}),
          },
        )
        context.result(result, `Uploaded ${result.key} (${result.size} bytes).`)
      },
    },
    {
      name: 'download',
      summary: 'Download bucket/name to a file (`--out -`: standard output)',
      usage: '<bucket> <name> --out <file|->',
      options: { ...ROOT_OPTION, out: { type: 'string' } },
      async run(context, { values, positionals }) {
        const [bucket, name, extra] = positionals
        const out = stringFlag(values.out)
        if (!bucket || !name || extra !== undefined || out === undefined) {
          throw new UsageError('Usage: groundwork storage download <bucket> <name> --out <file|->')
        }
        const { body, size } = await storageService(context, stringFlag(values.root)).api.download(
          bucket,
          name,
        )
        const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>)
        // Bytes, not text: `-` streams them to the process' standard output as they are.
        await pipeline(source, out === '-' ? process.stdout : createWriteStream(out), { end: out !== '-' })
        if (out !== '-') context.info(`Wrote ${size} bytes to ${out}.`)
      },
    },
  ],
})
