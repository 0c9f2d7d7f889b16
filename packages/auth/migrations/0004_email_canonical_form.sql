-- @groundwork/auth 0004: one canonical form per email address.
--
-- Addresses are stored and looked up in one canonical form: Unicode NFKC, lower-cased, trimmed
-- (`normalizeEmail` in src/users/validation.ts). Before, only case was folded, so full-width
-- `ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ` was an account of its own beside `full@example.com`.
-- `auth.canonical_email` is the same rule in SQL; a trigger keeps every write in that form
-- (imports and direct SQL included), so `users_email_key` on lower(email) now makes the
-- canonical form unique. `auth.canonicalize_emails()` brings existing rows to it: a row whose
-- canonical form another live account already holds (or would hold) is left as it is — two
-- accounts cannot be merged by a migration — and reported with a NOTICE; list them with
-- `select id, email from auth.users where email <> auth.canonical_email(email)`, resolve them
-- (delete or rename one), then run `select auth.canonicalize_emails()` again. The package
-- itself already writes and looks up canonical forms; this migration brings older rows and
-- writes from outside the package (imports, psql) into line.

create function auth.canonical_email(email text) returns text
language sql immutable parallel safe set search_path = '' as $$
  -- NFKC needs a UTF8 database; elsewhere non-ASCII addresses cannot be stored faithfully anyway.
  select case
    when email is null then null
    when pg_catalog.current_setting('server_encoding') = 'UTF8'
      then pg_catalog.btrim(pg_catalog.normalize(pg_catalog.lower(pg_catalog.normalize(email, 'NFKC')), 'NFKC'))
    else pg_catalog.btrim(pg_catalog.lower(email))
  end
$$;

comment on function auth.canonical_email(text) is
  'The canonical form of an address (NFKC, lower-cased, trimmed): what auth.users.email holds.';

create function auth.canonicalize_emails() returns integer
language plpgsql set search_path = '' as $$
declare
  changed integer;
  skipped integer;
begin
  with candidates as (
    select u.id, auth.canonical_email(u.email) as canonical,
      (u.is_sso_user = false and u.deleted_at is null) as live
    from auth.users u
    where u.email is not null and u.email <> auth.canonical_email(u.email)
  ),
  -- Live rows whose canonical form collides with another live row (canonical or not) stay.
  clashing as (
    select c.id from candidates c
    where c.live and exists (
      select from auth.users o
      where o.id <> c.id and o.email is not null and o.is_sso_user = false and o.deleted_at is null
        and auth.canonical_email(o.email) = c.canonical)
  ),
  updated as (
    update auth.users u set email = c.canonical
    from candidates c
    where u.id = c.id and c.id not in (select id from clashing)
    returning u.id
  )
  select (select count(*) from updated), (select count(*) from clashing) into changed, skipped;
  update auth.users set email_change = auth.canonical_email(email_change)
    where email_change is not null and email_change <> auth.canonical_email(email_change);
  if skipped > 0 then
    raise notice 'auth: % account(s) keep a non-canonical email because another account holds its canonical form; see migration 0004', skipped;
  end if;
  return changed;
end
$$;

select auth.canonicalize_emails();

create function auth.canonical_email_on_write() returns trigger
language plpgsql set search_path = '' as $$
begin
  -- Only the columns being written: a row left non-canonical by a clash stays writable.
  if tg_op = 'INSERT' then
    new.email := auth.canonical_email(new.email);
    new.email_change := auth.canonical_email(new.email_change);
  else
    if new.email is distinct from old.email then
      new.email := auth.canonical_email(new.email);
    end if;
    if new.email_change is distinct from old.email_change then
      new.email_change := auth.canonical_email(new.email_change);
    end if;
  end if;
  return new;
end
$$;

create trigger canonical_email
  before insert or update of email, email_change on auth.users
  for each row execute function auth.canonical_email_on_write();
