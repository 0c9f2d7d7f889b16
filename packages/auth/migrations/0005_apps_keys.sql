-- @groundwork/auth 0005: apps and API keys (docs/auth.md#apps-and-api-keys).
--
-- An app is what a team registers (a mobile client, a partner integration, a cron script): an
-- owner and an optional request budget. Its keys are `publishable` (run as anon), `secret` (run as
-- service_role) or `app` (run as their user, role authenticated, narrowed by scopes and allowed
-- tables). A key is `gw_<type>_<id><secret>`: `prefix` (`gw_<type>_<id>`) is public, shown in
-- lists and the lookup key; only the hex SHA-256 of the whole key is stored. Like every table of
-- the schema, RLS is on with no policies: the request roles see nothing, the library reads them as
-- the connecting (owner) role. Requests learn a key's validity only through
-- auth.assert_api_key(), which each request's transaction runs (a SECURITY DEFINER function).

create table auth.apps (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 255),
  description text check (char_length(description) <= 2000),
  -- RESTRICT: deleting an owner must never silently leave their apps' keys without a user.
  owner_id uuid references auth.users (id) on delete restrict,
  -- A budget of requests per fixed window, shared by every key of the app; both null: none.
  rate_limit_requests integer check (rate_limit_requests > 0),
  rate_limit_window_seconds integer check (rate_limit_window_seconds between 1 and 31622400),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((rate_limit_requests is null) = (rate_limit_window_seconds is null))
);
create index apps_owner_id_idx on auth.apps (owner_id);
comment on table auth.apps is 'Registered API clients: an owner and an optional request budget shared by their keys.';

create table auth.api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 255),
  type text not null check (type in ('publishable', 'secret', 'app')),
  app_id uuid references auth.apps (id) on delete cascade,
  -- The user an app key acts as (sub); null for publishable and secret keys.
  user_id uuid references auth.users (id) on delete cascade,
  -- `gw_<type>_<id>`: public, unique, the lookup key.
  prefix text not null unique,
  -- hex SHA-256 of the whole key (190 random bits: a fast hash is the right one).
  secret_hash text not null,
  -- null: not narrowed (publishable keys by default; secret keys always).
  scopes text[] check (scopes <@ array['read', 'write', 'admin']::text[]),
  -- Schema-qualified tables (and RPC functions) the key may touch; null: any.
  allowed_tables text[],
  -- An optional budget of the key's own, on top of its app's.
  rate_limit_requests integer check (rate_limit_requests > 0),
  rate_limit_window_seconds integer check (rate_limit_window_seconds between 1 and 31622400),
  expires_at timestamptz,
  -- Written in batches (every few seconds per instance), never per request.
  last_used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((rate_limit_requests is null) = (rate_limit_window_seconds is null)),
  check ((type = 'app') = (user_id is not null)),
  check (type <> 'secret' or (scopes is null and allowed_tables is null))
);
create index api_keys_app_id_idx on auth.api_keys (app_id);
create index api_keys_user_id_idx on auth.api_keys (user_id);
comment on table auth.api_keys is 'API keys: hashed, scoped, revocable; the plaintext key is shown once at creation.';

-- Leases of request budgets (apps', keys'): one row per budget and fixed window. Each instance
-- takes a slice (`last_grant`) in one upsert and spends it in memory (src/keys/leases.ts).
create table auth.api_usage (
  -- The id of the app or key whose budget this is.
  bucket uuid not null,
  window_start timestamptz not null,
  window_end timestamptz not null,
  used integer not null,
  last_grant integer not null,
  primary key (bucket, window_start)
);
create index api_usage_window_end_idx on auth.api_usage (window_end);

alter table auth.apps enable row level security;
alter table auth.api_keys enable row level security;
alter table auth.api_usage enable row level security;

-- Why a key is refused now (null: it is valid): revoked, expired, deleted, or its user banned or
-- deleted. The one definition of validity, for assert_api_key and revoked_principals. PL/pgSQL
-- rather than SQL: its plan is cached per connection (a SQL function with SET is planned on every
-- call, ~150 µs more per request on the benchmark machine).
create function auth.api_key_refusal(key_id uuid) returns text
language plpgsql stable security definer set search_path = '' as $$
declare
  refusal text;
begin
  select case
           when k.revoked_at is not null then 'API key revoked'
           when k.expires_at is not null and k.expires_at <= pg_catalog.now() then 'API key expired'
           when k.user_id is not null and (u.id is null or u.deleted_at is not null
                                          or u.banned_until > pg_catalog.now())
             then 'The API key''s user is banned or deleted'
         end
    into refusal
    from auth.api_keys k left join auth.users u on u.id = k.user_id
   where k.id = key_id;
  if not found then
    return 'API key not found';
  end if;
  return refusal;
end
$$;
revoke execute on function auth.api_key_refusal(uuid) from public;

-- Run by every request of a key, in its own transaction right after the claims (Principal.checks):
-- raises PT401 (401 in REST, core and realtime) when the key may no longer be used. This is what
-- makes a revocation or expiry take effect on the very next request on every instance.
create function auth.assert_api_key(key_id uuid) returns void
language plpgsql stable security definer set search_path = '' as $$
declare
  refusal text := auth.api_key_refusal(key_id);
begin
  if refusal is not null then
    raise exception using errcode = 'PT401', message = refusal;
  end if;
end
$$;
revoke execute on function auth.assert_api_key(uuid) from public;
grant execute on function auth.assert_api_key(uuid) to {{anon}}, {{authenticated}}, {{service_role}};

-- auth.app_id() and auth.key_id() beside auth.uid(): the `app_id` and `key_id` claims of a request
-- made with an API key (null otherwise), for policies such as
--   using (auth.app_id() = '…'::uuid)   or   using (auth.jwt() ->> 'app_id' = '…')
create function auth.app_id() returns uuid language sql stable set search_path = '' as $$
  select case when c ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then c::uuid end
    from (select nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'app_id' as c) s
$$;
comment on function auth.app_id() is 'The `app_id` claim of a request made with an API key (null otherwise).';
create function auth.key_id() returns uuid language sql stable set search_path = '' as $$
  select case when c ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' then c::uuid end
    from (select nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'key_id' as c) s
$$;
comment on function auth.key_id() is 'The `key_id` claim of a request made with an API key (null otherwise).';
grant execute on function auth.app_id(), auth.key_id() to {{anon}}, {{authenticated}}, {{service_role}};

-- Announce ended keys on `groundwork_revocations` (the contract of 0003): realtime ends the
-- streams opened with them at once. Deleting an app deletes its keys (cascade), announced too.
create function auth.notify_api_key_revocation() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform pg_catalog.pg_notify('groundwork_revocations', pg_catalog.json_build_object(
    'kind', 'api_key', 'key_id', old.id)::text);
  return null;
end
$$;
revoke execute on function auth.notify_api_key_revocation() from public;

create trigger notify_api_key_revoked after update of revoked_at on auth.api_keys
  for each row when (old.revoked_at is null and new.revoked_at is not null)
  execute function auth.notify_api_key_revocation();
create trigger notify_api_key_deleted after delete on auth.api_keys
  for each row execute function auth.notify_api_key_revocation();

-- 0003's recheck for consumers whose LISTEN connection was down, now also judging `key_id`
-- (kind 'api_key'): a key that is revoked, expired, deleted or whose user is blocked. Principals
-- without a `sub` (publishable and secret keys) are judged by their key alone.
create or replace function auth.revoked_principals(principals jsonb) returns table (i integer, kind text)
language sql stable security definer set search_path = '' as $$
  with p as (
    select (e.ordinality - 1)::integer as i,
           case when e.value ->> 'sub' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                then (e.value ->> 'sub')::uuid end as sub,
           case when e.value ->> 'session_id' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                then (e.value ->> 'session_id')::uuid end as session_id,
           case when e.value ->> 'key_id' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                then (e.value ->> 'key_id')::uuid end as key_id
      from pg_catalog.jsonb_array_elements(principals) with ordinality as e(value, ordinality)
  )
  select r.i, r.kind from (
    select p.i,
           case when u.id is not null and u.deleted_at is not null then 'user_deleted'
                when u.id is not null and u.banned_until > pg_catalog.now() then 'user_banned'
                when p.session_id is null then null
                when u.id is null then 'user_deleted'
                when not exists (select from auth.sessions x
                                  where x.id = p.session_id and x.user_id = u.id
                                    and (x.not_after is null or x.not_after > pg_catalog.now())) then 'session'
           end as kind
      from p left join auth.users u on u.id = p.sub
     where p.sub is not null) r
   where r.kind is not null
  union all
  select p.i, 'api_key' from p
   where p.key_id is not null and auth.api_key_refusal(p.key_id) is not null
$$;
