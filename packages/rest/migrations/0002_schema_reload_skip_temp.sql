-- Temporary objects (CREATE TEMP TABLE in any session) never change what the API exposes:
-- only notify for DDL that touches a regular schema, so busy apps using temp tables do not
-- trigger a reload storm. GRANT/REVOKE and other commands without a schema still notify.
create or replace function groundwork.rest_notify_schema_change() returns event_trigger
language plpgsql as $$
begin
  if exists (
    select 1 from pg_event_trigger_ddl_commands() c
    where c.schema_name is null or (c.schema_name not like 'pg\_temp%' and c.schema_name <> 'pg_toast')
  ) then
    perform pg_notify('pgrst', 'reload schema');
  end if;
end;
$$;
