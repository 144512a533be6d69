-- The operator's payment list finds a merchant's own reference without knowing the merchant.
CREATE INDEX payments_by_merchant_reference ON payments (merchant_reference);
