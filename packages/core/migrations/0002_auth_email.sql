-- auth.email(), as Supabase defines it (deprecated there in favour of auth.jwt() ->> 'email', but
-- still called by older policies). Created only where missing.
do $functions$
begin
  if to_regprocedure('auth.email()') is null then
    create function auth.email() returns text language sql stable as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
      )::text
    $$;
    comment on function auth.email() is 'The `email` claim of the request''s JWT (Supabase-compatible; deprecated there).';
  end if;
end
$functions$;

grant execute on function auth.email() to {{anon}}, {{authenticated}}, {{service_role}};
