-- The operator's payment list walks a merchant's payments newest first.
CREATE INDEX payments_by_merchant ON payments (merchant_id, id);
