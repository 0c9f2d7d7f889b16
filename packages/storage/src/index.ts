export type { ObjectHandle, SignedUrl, StorageApi, UploadBody, UploadOptions } from './api'
export type { LocalBackendOptions } from './backends/local'
export { localBackend } from './backends/local'
export type { S3BackendOptions } from './backends/s3'
export { s3Backend } from './backends/s3'
export type { BackendEntry, BackendObject, ByteRange, PutOptions, StorageBackend } from './backends/types'
export type { Bucket, CreateBucketInput, ListBucketsOptions, UpdateBucketInput } from './buckets'
export type { Storage } from './create-storage'
export { createStorage } from './create-storage'
export { storageErrorFormat } from './error-format'
export type { StorageErrorCode } from './errors'
export { STORAGE_ERROR_STATUS, STORAGE_ERRORS, StorageError } from './errors'
export type { CallOptions } from './internal/context'
export { migrations } from './migrations'
export type { ListEntry, ListOptions, ListV2Options } from './objects/list'
export type { CopyOptions } from './objects/manage'
export type { ObjectMetadata, StoredObject } from './objects/records'
export type { UploadResult } from './objects/upload'
export type { ResolvedStorageOptions, StorageOptions } from './options'
export type { PrefixJobPayload } from './tasks'
export {
  CLEANUP_TASK,
  DELETE_KEYS_TASK,
  DELETE_PREFIX_TASK,
  DELETE_VERSIONS_TASK,
  MOVE_PREFIX_TASK,
} from './tasks'
export type { TransformOptions } from './transform'
export type { ResumableInput, ResumableStatus } from './tus'
