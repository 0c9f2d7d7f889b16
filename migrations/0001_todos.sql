-- The demo application's own schema: todo lists shared with members, guarded by RLS policies
-- written exactly as they would be for Supabase (auth.uid(), roles anon/authenticated).

create table public.lists (
  id bigint generated always as identity primary key,
  owner_id uuid not null default auth.uid(),
  title text not null check (length(title) between 1 and 200),
  is_public boolean not null default false,
  created_at timestamptz not null default now()
);

create table public.list_members (
  list_id bigint not null references public.lists (id) on delete cascade,
  user_id uuid not null,
  primary key (list_id, user_id)
);

create table public.todos (
  id bigint generated always as identity primary key,
  list_id bigint not null references public.lists (id) on delete cascade,
  title text not null check (length(title) between 1 and 500),
  done boolean not null default false,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now()
);
create index todos_list_id_idx on public.todos (list_id);

-- Membership check used by the policies; security definer so it can read list_members
-- without a recursive policy evaluation.
create function public.is_list_member(list bigint) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.lists l where l.id = list and l.owner_id = auth.uid()
  ) or exists (
    select 1 from public.list_members m where m.list_id = list and m.user_id = auth.uid()
  )
$$;

alter table public.lists enable row level security;
alter table public.list_members enable row level security;
alter table public.todos enable row level security;

create policy "public lists are readable by anyone" on public.lists for select using (is_public);
create policy "members read their lists" on public.lists for select to authenticated using (public.is_list_member(id));
-- Also by owner_id directly: INSERT … RETURNING (PostgREST's return=representation) checks the new
-- row against SELECT policies, and is_list_member's snapshot does not see the row being inserted.
create policy "owners read their lists" on public.lists for select to authenticated using (owner_id = auth.uid());
create policy "users create lists they own" on public.lists for insert to authenticated with check (owner_id = auth.uid());
create policy "owners change their lists" on public.lists for update to authenticated using (owner_id = auth.uid());
create policy "owners delete their lists" on public.lists for delete to authenticated using (owner_id = auth.uid());

create policy "members see the membership" on public.list_members for select to authenticated using (public.is_list_member(list_id));
create policy "owners manage members" on public.list_members for all to authenticated
  using (exists (select 1 from public.lists l where l.id = list_id and l.owner_id = auth.uid()))
  with check (exists (select 1 from public.lists l where l.id = list_id and l.owner_id = auth.uid()));

create policy "todos of public lists are readable" on public.todos for select
  using (exists (select 1 from public.lists l where l.id = list_id and l.is_public));
create policy "members manage todos" on public.todos for all to authenticated
  using (public.is_list_member(list_id)) with check (public.is_list_member(list_id));

grant select on public.lists, public.todos to {{anon}};
grant select, insert, update, delete on public.lists, public.list_members, public.todos to {{authenticated}}, {{service_role}};
grant execute on function public.is_list_member(bigint) to {{anon}}, {{authenticated}}, {{service_role}};

insert into public.lists (owner_id, title, is_public)
values ('00000000-0000-0000-0000-000000000000', 'Welcome to Groundwork', true);
insert into public.todos (list_id, title, created_by)
select id, t.title, '00000000-0000-0000-0000-000000000000'
from public.lists, (values ('Read docs/getting-started.md'), ('Sign up through /auth/v1'), ('Query /rest/v1/todos')) as t(title);
