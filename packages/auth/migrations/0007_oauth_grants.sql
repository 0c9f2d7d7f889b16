-- @groundwork/auth 0007: OAuth grants (docs/oauth-provider.md).
--
-- A user's grant to a third-party OAuth client (@groundwork/oauth-provider) is an ordinary auth
-- session that carries the client's id and the granted scope: its refresh tokens rotate with the
-- same reuse detection as every session, its access tokens name the client (`client_id`, `scope`
-- claims, RFC 9068), and revoking the grant deletes its sessions, which `auth.authenticate` refuses
-- at once. Client-credentials access tokens have no session: revoking one (RFC 7009) records its
-- `jti` here until it would have expired anyway, so the table stays bounded (auth:cleanup).

alter table auth.sessions
  add column oauth_client_id text check (char_length(oauth_client_id) <= 255),
  add column scope text check (char_length(scope) <= 2000);
create index sessions_oauth_client_idx on auth.sessions (user_id, oauth_client_id)
  where oauth_client_id is not null;

create table auth.oauth_revoked_tokens (
  jti text primary key check (char_length(jti) <= 255),
  expires_at timestamptz not null
);
create index oauth_revoked_tokens_expires_at_idx on auth.oauth_revoked_tokens (expires_at);
alter table auth.oauth_revoked_tokens enable row level security;
comment on table auth.oauth_revoked_tokens is
  'jti of revoked client-credentials access tokens (RFC 7009), kept until they expire.';
