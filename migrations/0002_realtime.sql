-- Stream every committed change of the demo tables over /realtime/v1 (capture triggers installed
-- by @groundwork/realtime; visibility is decided per subscriber by the RLS policies above).
select realtime.enable('public.lists');
select realtime.enable('public.list_members');
select realtime.enable('public.todos');
