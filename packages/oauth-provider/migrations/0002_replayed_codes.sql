-- A code presented again after its redemption is marked `replayed` (RFC 6749 §4.1.2). The first
-- redemption looks for the mark after starting its grant session and ends the session when it
-- finds it: a replay landing between the redemption and the session's INSERT no longer finds
-- nothing to revoke and lets the first redemption's tokens live.
alter table oauth.authorizations drop constraint authorizations_status_check;
alter table oauth.authorizations add constraint authorizations_status_check
  check (status in ('pending', 'approved', 'denied', 'redeemed', 'replayed'));
