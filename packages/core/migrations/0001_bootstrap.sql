-- Groundwork bootstrap: the request roles and the `auth` helpers Supabase policies call.
-- Idempotent on a Supabase-shaped database: existing roles and functions are kept as they are.

do $bootstrap$
declare
  request_role text;
begin
  foreach request_role in array array[{{anon:literal}}, {{authenticated:literal}}] loop
    if not exists (select from pg_catalog.pg_roles where rolname = request_role) then
      begin
        execute format('create role %I nologin noinherit', request_role);
      exception when duplicate_object then
        null; -- created concurrently by another database's migration on this cluster
      end;
    end if;
  end loop;

  if not exists (select from pg_catalog.pg_roles where rolname = {{service_role:literal}}) then
    begin
      execute format('create role %I nologin noinherit bypassrls', {{service_role:literal}});
    exception
      when duplicate_object then null;
      when insufficient_privilege then
        execute format('create role %I nologin noinherit', {{service_role:literal}});
    end;
  end if;

  if not (select rolbypassrls from pg_catalog.pg_roles where rolname = {{service_role:literal}}) then
    begin
      execute format('alter role %I bypassrls', {{service_role:literal}});
    exception when insufficient_privilege then
      raise warning 'groundwork: role % does not have BYPASSRLS and % may not grant it; service_role requests are subject to row-level security. Run `alter role % bypassrls` as a superuser to match Supabase.',
        {{service_role:literal}}, current_user, {{service_role:literal}};
    end;
  end if;

  -- The connecting user switches to these roles per request (SET LOCAL ROLE), so it must be a member.
  foreach request_role in array array[{{anon:literal}}, {{authenticated:literal}}, {{service_role:literal}}] loop
    if not pg_catalog.pg_has_role(current_user, request_role, 'member') then
      execute format('grant %I to %I', request_role, current_user);
    end if;
  end loop;
end
$bootstrap$;

create schema if not exists auth;
grant usage on schema auth to {{anon}}, {{authenticated}}, {{service_role}};

-- auth.uid(), auth.role() and auth.jwt() exactly as Supabase defines them, so its policies run unchanged.
-- Created only where missing: on Supabase they already exist and belong to supabase_auth_admin.
do $functions$
begin
  if to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid language sql stable as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $$;
    comment on function auth.uid() is 'The `sub` claim of the request''s JWT (Supabase-compatible).';
  end if;

  if to_regprocedure('auth.role()') is null then
    create function auth.role() returns text language sql stable as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $$;
    comment on function auth.role() is 'The `role` claim of the request''s JWT (Supabase-compatible).';
  end if;

  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb language sql stable as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $$;
    comment on function auth.jwt() is 'All claims of the request''s JWT (Supabase-compatible).';
  end if;
end
$functions$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to {{anon}}, {{authenticated}}, {{service_role}};
