-- @groundwork/push: devices (under RLS), topic subscriptions, notifications and their deliveries,
-- and the dev provider's outbox.
create schema if not exists push;
comment on schema push is 'Groundwork push: device tokens, topic subscriptions, notifications and deliveries.';

-- A device a user registered: one row per (provider, token). A token registered again refreshes
-- the row; registered by another user, it moves to them (push.register_device), never duplicates.
create table push.devices (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  app text check (app is null or length(app) between 1 and 100),
  provider text not null check (provider in ('fcm', 'apns', 'webpush')),
  token text not null check (length(token) between 1 and 4096),
  platform text check (platform is null or platform ~ '^[a-z0-9_-]{1,32}$'),
  -- APNs only: which gateway the token belongs to (a development build's token is sandbox).
  environment text check (environment is null or environment in ('sandbox', 'production')),
  -- APNs only: the apns-topic (bundle id) this token was issued for; null: the provider's default.
  topic text check (topic is null or length(topic) between 1 and 255),
  locale text check (locale is null or locale ~ '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  disabled_at timestamptz,
  disabled_reason text,
  unique (provider, token)
);
create index devices_user_idx on push.devices (user_id);
create index devices_stale_idx on push.devices (last_seen_at) where disabled_at is null;

-- Topics a device subscribed to (fanned out by Groundwork, not by FCM topics).
create table push.device_topics (
  device_id uuid not null references push.devices (id) on delete cascade,
  topic text not null check (topic ~ '^[A-Za-z0-9_.~%:-]{1,200}$'),
  created_at timestamptz not null default now(),
  primary key (device_id, topic)
);
create index device_topics_topic_idx on push.device_topics (topic, device_id);

-- One send: who it is for and what it says. Job payloads carry only the id.
create table push.notifications (
  id uuid primary key default gen_random_uuid(),
  target jsonb not null,
  message jsonb not null,
  created_at timestamptz not null default now(),
  -- Fan-out progress, advanced in the same transaction as each batch of deliveries it creates,
  -- so a fan-out job killed and retried resumes where it stopped and never repeats a batch.
  fanout_cursor uuid,
  fanout_batches integer not null default 0,
  fanned_out_at timestamptz,
  device_count integer not null default 0
);

-- One device's delivery of one notification: an append-heavy log written in bulk by the fan-out,
-- so without foreign keys (their per-row checks cost more than the rest of the insert): rows are
-- only created from existing notifications and devices inside the fan-out's transaction, and a
-- delivery outlives its device as history (a pending one to a deleted device ends `failed`).
create table push.deliveries (
  id bigint generated always as identity primary key,
  notification_id uuid not null,
  device_id uuid not null,
  batch integer not null,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed', 'pruned')),
  -- Delivery-job runs that handed it (or, after a crash, may have handed it) to a provider.
  attempts integer not null default 0,
  provider text,
  provider_message_id text,
  error_code text,
  error text,
  response jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz,
  unique (notification_id, device_id)
);
create index deliveries_batch_idx on push.deliveries (notification_id, batch) where status = 'pending';

-- What the dev provider would have sent (development): read by push.api.dev and the dev page.
create table push.dev_outbox (
  id uuid primary key default gen_random_uuid(),
  notification_id uuid,
  device_id uuid,
  user_id uuid,
  provider text not null,
  token text not null,
  platform text,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
create index dev_outbox_created_at_idx on push.dev_outbox (created_at desc);

-- Registers (or refreshes) the caller's device. Runs as the owner so a token registered by
-- another user can move to the caller: the row stays unique on (provider, token), its topic
-- subscriptions (the previous user's) are dropped, and a disabled device is enabled again.
create function push.register_device(
  p_provider text, p_token text, p_platform text, p_environment text, p_topic text, p_locale text, p_app text
) returns table (device_id uuid, created boolean, moved boolean)
language plpgsql security definer set search_path = '' as $$
declare
  caller uuid := auth.uid();
  previous_user uuid;
  existing uuid;
begin
  if caller is null then
    raise exception 'push.register_device needs a signed-in user' using errcode = '28000';
  end if;
  select d.id, d.user_id into existing, previous_user
    from push.devices d where d.provider = p_provider and d.token = p_token for update;
  if existing is null then
    insert into push.devices as d (user_id, provider, token, platform, environment, topic, locale, app)
      values (caller, p_provider, p_token, p_platform,
              coalesce(p_environment, case when p_provider = 'apns' then 'production' end), p_topic, p_locale, p_app)
      on conflict (provider, token) do nothing
      returning d.id into existing;
    if existing is not null then
      return query select existing, true, false;
      return;
    end if;
    -- Registered concurrently by someone else: refresh that row below.
    select d.id, d.user_id into existing, previous_user
      from push.devices d where d.provider = p_provider and d.token = p_token for update;
  end if;
  update push.devices d set
      user_id = caller,
      platform = coalesce(p_platform, d.platform),
      environment = coalesce(p_environment, d.environment),
      topic = coalesce(p_topic, d.topic),
      locale = coalesce(p_locale, d.locale),
      app = coalesce(p_app, d.app),
      last_seen_at = now(),
      updated_at = now(),
      disabled_at = null,
      disabled_reason = null
    where d.id = existing;
  if previous_user is distinct from caller then
    delete from push.device_topics t where t.device_id = existing;
  end if;
  return query select existing, false, previous_user is distinct from caller;
end
$$;

-- Devices: each signed-in user sees, subscribes and deletes their own; registration goes
-- through push.register_device. Everything else is for the push service (the connecting user).
alter table push.devices enable row level security;
alter table push.device_topics enable row level security;
alter table push.notifications enable row level security;
alter table push.deliveries enable row level security;
alter table push.dev_outbox enable row level security;

create policy devices_select_own on push.devices for select to {{authenticated}}
  using (user_id = auth.uid());
create policy devices_delete_own on push.devices for delete to {{authenticated}}
  using (user_id = auth.uid());
create policy device_topics_select_own on push.device_topics for select to {{authenticated}}
  using (exists (select 1 from push.devices d where d.id = device_id and d.user_id = auth.uid()));
create policy device_topics_insert_own on push.device_topics for insert to {{authenticated}}
  with check (exists (select 1 from push.devices d where d.id = device_id and d.user_id = auth.uid()));
create policy device_topics_delete_own on push.device_topics for delete to {{authenticated}}
  using (exists (select 1 from push.devices d where d.id = device_id and d.user_id = auth.uid()));

revoke all on schema push from public;
revoke all on all tables in schema push from public, {{anon}}, {{authenticated}};
grant usage on schema push to {{authenticated}}, {{service_role}};
grant select, delete on push.devices to {{authenticated}};
grant select, insert, delete on push.device_topics to {{authenticated}};
revoke all on function push.register_device(text, text, text, text, text, text, text) from public;
grant execute on function push.register_device(text, text, text, text, text, text, text) to {{authenticated}}, {{service_role}};
