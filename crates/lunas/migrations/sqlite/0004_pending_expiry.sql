-- Pending payments by expiry, for the sweep that records expiries in the history.
CREATE INDEX payments_pending_expiry ON payments (expires_at) WHERE state = 'pending';
