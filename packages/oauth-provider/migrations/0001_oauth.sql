-- @groundwork/oauth-provider 0001: the OAuth 2.1 / OpenID Connect server's state (docs/oauth-provider.md).
--
-- Clients belong to auth's apps; their secrets are stored as hex SHA-256 (256 random bits: a fast
-- hash is the right one), shown once. Authorization requests live here until their single-use code
-- is redeemed (the code stored hashed, like every secret). Grants are auth sessions carrying the
-- client's id (auth 0007): revoking a grant deletes them. Every table has RLS on and no policies:
-- the request roles see nothing; the library reads them as the connecting (owner) role.

create schema if not exists oauth;

create table oauth.clients (
  -- The client_id: a UUID, so a client-credentials token's `sub` (its client id) never names a user.
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references auth.apps (id) on delete cascade,
  client_name text not null check (char_length(client_name) between 1 and 255),
  client_uri text check (char_length(client_uri) <= 2048),
  logo_uri text check (char_length(logo_uri) <= 2048),
  client_type text not null check (client_type in ('public', 'confidential')),
  token_endpoint_auth_method text not null
    check (token_endpoint_auth_method in ('none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt')),
  registration_type text not null check (registration_type in ('dynamic', 'manual')),
  redirect_uris text[] not null default '{}',
  grant_types text[] not null,
  scope text not null check (char_length(scope) <= 2000),
  secret_hash text,
  -- Public keys of a private_key_jwt client (RFC 7523): a JWK Set.
  jwks jsonb,
  -- Schema-qualified tables a client-credentials token may touch; null: any (RLS decides).
  allowed_tables text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((client_type = 'public') = (token_endpoint_auth_method = 'none')),
  check (token_endpoint_auth_method <> 'private_key_jwt' or jwks is not null)
);
create index clients_app_id_idx on oauth.clients (app_id);

create table oauth.authorizations (
  -- The authorization_id the consent page is redirected with.
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references oauth.clients (id) on delete cascade,
  redirect_uri text not null,
  scope text not null,
  state text,
  nonce text,
  resource text,
  code_challenge text not null,
  code_challenge_method text not null check (code_challenge_method in ('S256', 'plain')),
  -- The user who first looked at it (bound from then on).
  user_id uuid references auth.users (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'approved', 'denied', 'redeemed')),
  code_hash text unique,
  auth_time timestamptz,
  amr jsonb,
  -- The grant session the code was redeemed for: a replayed code ends it (RFC 6749 §4.1.2).
  session_id uuid,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index authorizations_expires_at_idx on oauth.authorizations (expires_at);

create table oauth.consents (
  user_id uuid not null references auth.users (id) on delete cascade,
  client_id uuid not null references oauth.clients (id) on delete cascade,
  scopes text[] not null,
  granted_at timestamptz not null default now(),
  primary key (user_id, client_id)
);

-- id_token signing keys: the newest unretired key signs; every unretired key is published.
create table oauth.signing_keys (
  kid text primary key,
  alg text not null check (alg in ('RS256', 'ES256')),
  private_jwk jsonb not null,
  public_jwk jsonb not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz
);

-- `jti` of private_key_jwt client assertions already used (RFC 7523 §3: one use), until they expire.
create table oauth.used_assertions (
  jti text primary key,
  expires_at timestamptz not null
);
create index used_assertions_expires_at_idx on oauth.used_assertions (expires_at);

-- Fixed-window counters of the token and registration endpoints, shared by every instance.
create table oauth.rate_limits (
  key text not null,
  window_start timestamptz not null,
  count integer not null,
  primary key (key, window_start)
);

alter table oauth.clients enable row level security;
alter table oauth.authorizations enable row level security;
alter table oauth.consents enable row level security;
alter table oauth.signing_keys enable row level security;
alter table oauth.used_assertions enable row level security;
alter table oauth.rate_limits enable row level security;
revoke all on schema oauth from public;
