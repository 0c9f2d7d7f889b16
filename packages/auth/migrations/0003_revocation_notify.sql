-- @groundwork/auth 0003: announce ended credentials on the `groundwork_revocations` channel, so
-- long-lived consumers of a token (realtime's SSE streams) end when REST would start refusing it,
-- instead of when the token expires. The channel and payload are a contract any authenticator
-- can implement (docs/realtime.md):
--   { "kind": "session", "session_id": "…", "user_id": "…" }   a session ended (logout of any
--                                                              scope, refresh-token reuse)
--   { "kind": "user_banned", "user_id": "…" }                  banned_until set into the future
--   { "kind": "user_deleted", "user_id": "…" }                 deleted_at set, or the row deleted
--   { "kind": "api_key", "key_id": "…" }                       reserved for API keys
-- NOTIFY is transactional: nothing is announced for a rolled-back change.

create function auth.notify_revocation() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_table_name = 'sessions' then
    -- A session already past not_after was announced when it ended (or expired on its own): the
    -- periodic cleanup deleting it announces nothing. Neither does the end of a session whose
    -- user is being deleted (a cascade, a soft delete): that user's `user_deleted` covers it.
    if tg_op = 'DELETE' and old.not_after is not null and old.not_after < pg_catalog.now() then
      return null;
    end if;
    if not exists (select from auth.users u where u.id = old.user_id and u.deleted_at is null) then
      return null;
    end if;
    perform pg_catalog.pg_notify('groundwork_revocations', pg_catalog.json_build_object(
      'kind', 'session', 'session_id', old.id, 'user_id', old.user_id)::text);
  elsif tg_op = 'DELETE' or new.deleted_at is not null then
    perform pg_catalog.pg_notify('groundwork_revocations', pg_catalog.json_build_object(
      'kind', 'user_deleted', 'user_id', old.id)::text);
  else
    perform pg_catalog.pg_notify('groundwork_revocations', pg_catalog.json_build_object(
      'kind', 'user_banned', 'user_id', old.id)::text);
  end if;
  return null;
end
$$;
revoke execute on function auth.notify_revocation() from public;

create trigger notify_session_deleted after delete on auth.sessions
  for each row execute function auth.notify_revocation();
-- Refresh-token reuse ends a session by setting not_after to now().
create trigger notify_session_ended after update of not_after on auth.sessions
  for each row when (new.not_after is not null and new.not_after <= now()
                     and (old.not_after is null or old.not_after > now()))
  execute function auth.notify_revocation();
create trigger notify_user_banned after update of banned_until on auth.users
  for each row when (new.banned_until > now() and new.banned_until is distinct from old.banned_until
                     and new.deleted_at is null)
  execute function auth.notify_revocation();
create trigger notify_user_soft_deleted after update of deleted_at on auth.users
  for each row when (old.deleted_at is null and new.deleted_at is not null)
  execute function auth.notify_revocation();
create trigger notify_user_deleted after delete on auth.users
  for each row execute function auth.notify_revocation();

/*
 * For a consumer whose LISTEN connection was down (a NOTIFY is not queued for it): which of these
 * principals' credentials have ended. principals: a JSON array of { "sub"?, "session_id"?,
 * "key_id"? } (a token's claims); returns (i = 0-based index into it, kind) for each one that
 * ended. A sub with no auth.users row is only judged through its session_id (tokens of another
 * issuer may carry subs this database never saw); a session_id with no session row has ended.
 */
create function auth.revoked_principals(principals jsonb) returns table (i integer, kind text)
language sql stable security definer set search_path = '' as $$
  select r.i, r.kind from (
    select (p.ordinality - 1)::integer as i,
           case when u.id is not null and u.deleted_at is not null then 'user_deleted'
                when u.id is not null and u.banned_until > pg_catalog.now() then 'user_banned'
                when s.session_id is null then null
                when u.id is null then 'user_deleted'
                when not exists (select from auth.sessions x
                                  where x.id = s.session_id and x.user_id = u.id
                                    and (x.not_after is null or x.not_after > pg_catalog.now())) then 'session'
           end as kind
      from pg_catalog.jsonb_array_elements(principals) with ordinality as p(value, ordinality)
      cross join lateral (
        select case when p.value ->> 'sub' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                    then (p.value ->> 'sub')::uuid end as sub,
               case when p.value ->> 'session_id' ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'
                    then (p.value ->> 'session_id')::uuid end as session_id) s
      left join auth.users u on u.id = s.sub
     where s.sub is not null) r
   where r.kind is not null
$$;
revoke execute on function auth.revoked_principals(jsonb) from public;
