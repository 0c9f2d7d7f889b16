import { storageError } from './errors'

/** Supabase's image transformation options (storage-js's `TransformOptions`, plus explicit formats). */
export interface TransformOptions {
  /** 1–2500 px. */
  width?: number
  /** 1–2500 px. */
  height?: number
  /** @default 'cover' */
  resize?: 'cover' | 'contain' | 'fill'
  /** 20–100. @default 80 */
  quality?: number
  /** `origin` keeps the source format; absent, WebP when the client accepts it (as Supabase). */
  format?: 'origin' | 'webp' | 'avif' | 'png' | 'jpeg'
}

const RESIZE = ['cover', 'contain', 'fill'] as const
const FORMATS = ['origin', 'webp', 'avif', 'png', 'jpeg'] as const
const MAX_DIMENSION = 2500

function int(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'number' ? value : /^\d{1,6}$/.test(String(value)) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < min || n > max) {
    throw storageError(
      'STORAGE_INVALID_PARAMETER',
      `Invalid Parameter ${name}: an integer from ${min} to ${max}`,
    )
  }
  return n
}

/** Reads transformation options from a query string or a JSON body; refuses out-of-range values. */
export function parseTransform(
  source: URLSearchParams | Record<string, unknown> | undefined,
): TransformOptions {
  if (!source) return {}
  const get = (name: string) =>
    source instanceof URLSearchParams ? (source.get(name) ?? undefined) : source[name]
  const out: TransformOptions = {}
  const width = int(get('width'), 'width', 1, MAX_DIMENSION)
  const height = int(get('height'), 'height', 1, MAX_DIMENSION)
  const quality = int(get('quality'), 'quality', 20, 100)
  if (width !== undefined) out.width = width
  if (height !== undefined) out.height = height
  if (quality !== undefined) out.quality = quality
  const resize = get('resize')
  if (resize !== undefined && resize !== '') {
    if (!RESIZE.includes(resize as never))
      throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter resize')
    out.resize = resize as TransformOptions['resize'] & string
  }
  const format = get('format')
  if (format !== undefined && format !== '') {
    if (!FORMATS.includes(format as never))
      throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter format')
    out.format = format as TransformOptions['format'] & string
  }
  return out
}

/** `width:100,height:50,resize:cover`: how Supabase writes transformations into a signed URL's token. */
export function transformationsString(options: TransformOptions): string {
  return Object.entries(options)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}:${value}`)
    .join(',')
}

/** The inverse of {@link transformationsString}. */
export function parseTransformationsString(text: string): TransformOptions {
  const record: Record<string, string> = {}
  for (const part of text.split(',')) {
    const [key, value] = part.split(':')
    if (key && value !== undefined) record[key] = value
  }
  return parseTransform(record)
}

/** The subset of sharp's API used here. */
interface SharpInstance {
  rotate(): SharpInstance
  resize(options: {
    width?: number
    height?: number
    fit: string
    withoutEnlargement?: boolean
  }): SharpInstance
  toFormat(format: string, options: { quality: number }): SharpInstance
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Buffer; info: { format: string } }>
}
type SharpFactory = (input: Buffer, options: { failOn: string; limitInputPixels: number }) => SharpInstance

/**
 * Loads `sharp` once: the module passed as the `sharp` option, else `import('sharp')` (an optional
 * peer dependency). Missing, or turned off with `sharp: false`: `FeatureNotEnabled`, naming the fix.
 */
export function sharpLoader(option: unknown, importer: () => Promise<unknown> = () => import('sharp')) {
  let loaded: Promise<SharpFactory> | null = null
  return (): Promise<SharpFactory> => {
    if (option === false) {
      return Promise.reject(
        storageError(
          'STORAGE_FEATURE_NOT_ENABLED',
          'Image transformation is turned off on this server (sharp: false)',
        ),
      )
    }
    loaded ??= (option !== undefined ? Promise.resolve(option) : importer()).then(
      (mod) => ((mod as { default?: unknown }).default ?? mod) as SharpFactory,
      (cause) => {
        loaded = null
        throw storageError(
          'STORAGE_FEATURE_NOT_ENABLED',
          'Image transformation needs the optional peer dependency `sharp`: install it (`npm install sharp`) on the server',
          { cause },
        )
      },
    )
    return loaded
  }
}

const MIME: Record<string, string> = {
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  heif: 'image/heif',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
}

/**
 * Transforms an image held in memory (at most `maxTransformInputBytes`): EXIF rotation applied,
 * resized without enlargement, re-encoded. Bad input is 422, never a 500.
 */
export async function transformImage(
  sharp: SharpFactory,
  input: Buffer,
  options: TransformOptions,
  accept: string | null,
): Promise<{ data: Buffer; contentType: string }> {
  const format =
    options.format && options.format !== 'origin'
      ? options.format
      : options.format === 'origin'
        ? null
        : accept?.includes('image/avif')
          ? 'avif'
          : accept?.includes('image/webp')
            ? 'webp'
            : null
  try {
    let pipeline = sharp(input, { failOn: 'none', limitInputPixels: 100_000_000 }).rotate()
    if (options.width || options.height) {
      pipeline = pipeline.resize({
        ...(options.width ? { width: options.width } : {}),
        ...(options.height ? { height: options.height } : {}),
        fit: options.resize === 'fill' ? 'fill' : options.resize === 'contain' ? 'inside' : 'cover',
        withoutEnlargement: true,
      })
    }
    if (format) pipeline = pipeline.toFormat(format, { quality: options.quality ?? 80 })
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true })
    return { data, contentType: MIME[info.format] ?? `image/${info.format}` }
  } catch (cause) {
    throw storageError(
      'STORAGE_IMAGE_PROCESSING',
      'The object could not be transformed (not an image sharp can read)',
      {
        cause,
      },
    )
  }
}
