-- @groundwork/auth: social sign-in (OAuth 2 / OIDC consumers) and MFA (TOTP).
--
-- auth.oauth_states: one row per started external sign-in (`GET /authorize`, `GET
-- /user/identities/authorize`), consumed once by `GET|POST /callback`. The `state` sent to the
-- provider is random; only its SHA-256 is stored. The row keeps what must never travel through the
-- browser: the PKCE verifier Groundwork uses with the provider (RFC 7636), the OIDC nonce, the
-- checked `redirect_to`, the client's own PKCE flow state and, for linking, the signed-in user.
create table auth.oauth_states (
  id uuid primary key default gen_random_uuid(),
  state_hash text not null unique,
  provider text not null,
  code_verifier text not null,
  nonce text,
  redirect_to text not null,
  flow_state_id uuid references auth.flow_state (id) on delete cascade,
  link_user_id uuid references auth.users (id) on delete cascade,
  created_at timestamptz not null default now()
);
create index oauth_states_created_at_idx on auth.oauth_states (created_at);

-- GoTrue's MFA tables (column names as supabase/auth's), TOTP only. The TOTP secret must be
-- readable to verify codes, so it is stored as is (as GoTrue does without MFA encryption keys);
-- the table is behind RLS with no policies, like every auth table.
create table auth.mfa_factors (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  friendly_name text,
  factor_type text not null check (factor_type in ('totp')),
  status text not null check (status in ('unverified', 'verified')),
  secret text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_challenged_at timestamptz,
  -- The RFC 6238 time step of the last accepted code: a code of that step or older is refused
  -- (replay), even within the ±1 step window.
  last_verified_step bigint
);
create index mfa_factors_user_id_idx on auth.mfa_factors (user_id, created_at);
create unique index mfa_factors_user_friendly_name_unique on auth.mfa_factors (user_id, friendly_name)
  where trim(friendly_name) <> '';

create table auth.mfa_challenges (
  id uuid primary key default gen_random_uuid(),
  factor_id uuid not null references auth.mfa_factors (id) on delete cascade,
  created_at timestamptz not null default now(),
  verified_at timestamptz,
  ip_address inet
);
create index mfa_challenges_factor_id_idx on auth.mfa_challenges (factor_id, created_at);

alter table auth.oauth_states enable row level security;
alter table auth.mfa_factors enable row level security;
alter table auth.mfa_challenges enable row level security;
