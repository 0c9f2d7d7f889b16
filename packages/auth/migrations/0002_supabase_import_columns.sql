-- Columns GoTrue's auth.users still carries but this package never uses: present so that a
-- Supabase `auth.users` export (pg_dump --data-only, COPY with its full column list) loads as is.
-- One-time tokens live hashed in auth.one_time_tokens; anything imported into these columns is
-- ignored by every flow, and the cleanup below blanks it so no plaintext token stays at rest.
alter table auth.users
  add column confirmation_token varchar(255),
  add column recovery_token varchar(255),
  add column email_change_token_new varchar(255),
  add column email_change_token_current varchar(255) default '',
  add column phone_change_token varchar(255) default '',
  add column reauthentication_token varchar(255) default '';

comment on column auth.users.confirmation_token is 'Unused (GoTrue compatibility for imports); tokens are hashed in auth.one_time_tokens.';

create function auth.blank_imported_tokens() returns trigger language plpgsql as $$
begin
  new.confirmation_token := null;
  new.recovery_token := null;
  new.email_change_token_new := null;
  new.email_change_token_current := '';
  new.phone_change_token := '';
  new.reauthentication_token := '';
  return new;
end
$$;

create trigger blank_imported_tokens
  before insert or update of confirmation_token, recovery_token, email_change_token_new,
    email_change_token_current, phone_change_token, reauthentication_token
  on auth.users
  for each row execute function auth.blank_imported_tokens();
