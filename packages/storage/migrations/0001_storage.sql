-- @groundwork/storage: Supabase Storage's schema, so policies written for Supabase run unchanged.
--
-- storage.buckets and storage.objects carry Supabase's columns; storage.foldername(),
-- storage.filename() and storage.extension() are Supabase's helpers. Every request runs as the
-- caller (core's withClaims), so row-level security on these tables decides who may upload
-- (INSERT), download and list (SELECT), move (UPDATE) and delete (DELETE). Neither table has a
-- policy after this migration: only service_role (BYPASSRLS) can do anything until the host adds
-- its own, exactly as on a new Supabase project.
--
-- Bytes live in a backend (local disk or S3) under a key derived from `objects.version`, never
-- from the object's name: a name cannot reach the filesystem, and a move is a metadata update.
-- Bytes are removed only through the outbox below, in the transaction that stops referencing them.
--
-- Requires the jobs MigrationSet first (graphile_worker.add_job).

create schema if not exists storage;
grant usage on schema storage to {{anon}}, {{authenticated}}, {{service_role}};

create table storage.buckets (
  id text primary key,
  name text not null,
  owner uuid,
  owner_id text,
  public boolean not null default false,
  avif_autodetection boolean not null default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index bname on storage.buckets (name);
alter table storage.buckets enable row level security;

create table storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text not null references storage.buckets (id),
  name text not null,
  owner uuid,
  owner_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_accessed_at timestamptz not null default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  -- The stored bytes' id: a new one for every write, so a replaced version is deleted by the outbox.
  version text not null,
  user_metadata jsonb
);
create unique index bucketid_objname on storage.objects (bucket_id, name);
-- Prefix listings and folder operations: `name like 'folder/%'` in byte order.
create index name_prefix_search on storage.objects (bucket_id, name text_pattern_ops);
create unique index objects_version_idx on storage.objects (version);
alter table storage.objects enable row level security;

grant select, insert, update, delete on storage.buckets, storage.objects
  to {{anon}}, {{authenticated}}, {{service_role}};

-- Supabase's helpers: `storage.foldername('a/b/c.png')` = {a,b}, `storage.filename(…)` = 'c.png',
-- `storage.extension(…)` = 'png'.
create function storage.foldername(name text) returns text[]
language plpgsql immutable as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$$;

create function storage.filename(name text) returns text
language plpgsql immutable as $$
declare
  _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$$;

create function storage.extension(name text) returns text
language plpgsql immutable as $$
declare
  _parts text[];
  _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$$;

grant execute on function storage.foldername(text), storage.filename(text), storage.extension(text)
  to {{anon}}, {{authenticated}}, {{service_role}};

-- The outbox: whatever removes a reference to stored bytes — a DELETE (the API, psql, another
-- service), an upsert or PUT that replaces them — enqueues `storage:delete-versions` in the same
-- transaction. A rolled-back delete deletes nothing; a committed one deletes the bytes even if the
-- process dies right after the commit (the job runs on whichever instance runs jobs next).
-- Statement-level with transition tables: a 10,000-row delete is ten jobs, not 10,000.
create function storage.enqueue_version_deletion() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  _versions text[];
  _batch text[];
begin
  if tg_op = 'DELETE' then
    select array_agg(o.version) into _versions from old_rows o;
  else
    select array_agg(o.version) into _versions
      from old_rows o where not exists (select 1 from new_rows n where n.version = o.version);
  end if;
  if _versions is null then
    return null;
  end if;
  for i in 0 .. (array_length(_versions, 1) - 1) / 1000 loop
    _batch := _versions[i * 1000 + 1 : (i + 1) * 1000];
    perform graphile_worker.add_job('storage:delete-versions', json_build_object('versions', _batch));
  end loop;
  return null;
end
$$;
revoke all on function storage.enqueue_version_deletion() from public;

create trigger objects_delete_versions after delete on storage.objects
  referencing old table as old_rows for each statement execute function storage.enqueue_version_deletion();
create trigger objects_replace_versions after update on storage.objects
  referencing old table as old_rows new table as new_rows
  for each statement execute function storage.enqueue_version_deletion();

-- Resumable (tus) uploads in progress: the state every instance shares, so any instance can take
-- the next PATCH. The bytes received so far are parts in the backend (`uploads/<id>/<offset>`).
create table storage.uploads (
  id uuid primary key,
  bucket_id text not null references storage.buckets (id) on delete cascade,
  name text not null,
  -- Who created it: later requests must come from the same caller.
  owner_sub text,
  owner_role text not null,
  upsert boolean not null default false,
  upload_length bigint not null check (upload_length >= 0),
  upload_offset bigint not null default 0,
  content_type text not null,
  cache_control text not null,
  user_metadata jsonb,
  version text not null,
  -- A PATCH in progress holds the upload until this time (refreshed while it streams).
  locked_until timestamptz,
  lock_token uuid,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index uploads_expires_at_idx on storage.uploads (expires_at);
create table storage.upload_parts (
  upload_id uuid not null references storage.uploads (id) on delete cascade,
  part_offset bigint not null,
  size bigint not null,
  key text not null,
  primary key (upload_id, part_offset)
);
-- Only the service (the connecting role) touches upload state; no request role may.
revoke all on storage.uploads, storage.upload_parts from {{anon}}, {{authenticated}}, {{service_role}};
