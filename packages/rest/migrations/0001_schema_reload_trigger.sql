-- Automatic schema cache reloading: every DDL command notifies the `pgrst` channel, which each
-- @groundwork/rest instance (and PostgREST itself) LISTENs on. The notification is delivered at
-- commit, and instances debounce bursts of DDL into one reload.
-- See https://docs.postgrest.org/en/v12/references/schema_cache.html#automatic-schema-cache-reloading
create or replace function groundwork.rest_notify_schema_change() returns event_trigger
language plpgsql as $$
begin
  perform pg_notify('pgrst', 'reload schema');
end;
$$;

do $$
begin
  if (select rolsuper from pg_roles where rolname = current_user) then
    drop event trigger if exists groundwork_rest_schema_change;
    create event trigger groundwork_rest_schema_change on ddl_command_end
      execute function groundwork.rest_notify_schema_change();
  else
    raise warning 'groundwork/rest: not a superuser, so no event trigger was created; run NOTIFY pgrst, ''reload schema'' after DDL';
  end if;
end;
$$;
