-- @groundwork/mail: templates editable at runtime, and the dev outbox.
create schema if not exists mail;
comment on schema mail is 'Groundwork mail: stored Liquid templates and the development outbox.';

-- A template per (key, locale). locale '' is the template for any locale; a request for pt-BR
-- tries 'pt-BR', then 'pt', then ''. Disabled rows are ignored (the built-in one is used).
create table mail.templates (
  key text not null check (key ~ '^[a-z0-9][a-z0-9_.:-]{0,99}$'),
  locale text not null default '' check (locale = '' or locale ~ '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$'),
  subject text not null,
  html text not null,
  text text,
  version integer not null default 1,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (key, locale)
);

-- Bumped in the same transaction as every change to mail.templates, so another instance that
-- reads it sees the new value only once the change is committed; instances compare it with the
-- value their template cache was loaded at.
create table mail.template_generation (
  singleton boolean primary key default true check (singleton),
  generation bigint not null default 0
);
insert into mail.template_generation default values;

create function mail.bump_template_generation() returns trigger
language plpgsql as $$
begin
  update mail.template_generation set generation = generation + 1;
  return null;
end
$$;

create trigger templates_generation after insert or update or delete or truncate on mail.templates
  for each statement execute function mail.bump_template_generation();

-- Messages kept by the outbox transport (development): what would have been sent.
create table mail.outbox (
  id uuid primary key default gen_random_uuid(),
  "to" text[] not null,
  cc text[] not null default '{}',
  bcc text[] not null default '{}',
  "from" text not null,
  reply_to text,
  subject text not null,
  html text not null,
  text text not null,
  headers jsonb not null default '{}'::jsonb,
  template text,
  created_at timestamptz not null default now()
);
create index outbox_created_at_idx on mail.outbox (created_at desc);

-- Nothing here is for API roles: the mail service runs as the connecting user.
alter table mail.templates enable row level security;
alter table mail.template_generation enable row level security;
alter table mail.outbox enable row level security;
revoke all on schema mail from public;
revoke all on all tables in schema mail from public, {{anon}}, {{authenticated}};
revoke all on function mail.bump_template_generation() from public;
