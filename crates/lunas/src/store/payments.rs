//! Payments: loading what a command needs, persisting what it decided, and the
//! plain reads.
//!
//! A change is written in one go. SQLite runs the statements one by one inside a
//! savepoint (the writer thread holds the only write lock, so nothing races it).
//! PostgreSQL sends one statement whose parts all hang off the version-checked
//! update (or the insert), so it is atomic without a transaction and costs one round
//! trip; when the payment changed since it was loaded, nothing is written and the
//! command runs again.

use super::conn::Conn;
use super::model::{
    ChangeKind, Changes, HistoryEntry, Loaded, MerchantKey, Need, NumberChange, PaymentFilter, PaymentRef, RequestId,
};
use super::rows::{self, encode_json};
use super::sql::{Dialect, Param, params};
use super::{StoreError, StoreResult};
use crate::domain::{Effect, Payment, PaymentId, Receipt, Refund, Timestamp};

/// A payment lookup, plain and with its row locked.
struct Lookup {
    plain: &'static str,
    locked: &'static str,
}

/// Every lookup also says whether the request id `$1, $2, $3` (merchant, day, id) was
/// used, so a command's reads take one round trip.
macro_rules! lookup {
    ($from:literal, $filter:literal) => {
        Lookup {
            plain: concat!(
                "SELECT p.*, CASE WHEN EXISTS (SELECT 1 FROM request_ids r WHERE r.merchant_id = $1 AND r.day = $2 ",
                "AND r.request_id = $3) THEN 1 ELSE 0 END AS request_id_used FROM ",
                $from,
                " WHERE ",
                $filter
            ),
            locked: concat!(
                "SELECT p.*, CASE WHEN EXISTS (SELECT 1 FROM request_ids r WHERE r.merchant_id = $1 AND r.day = $2 ",
                "AND r.request_id = $3) THEN 1 ELSE 0 END AS request_id_used FROM ",
                $from,
                " WHERE ",
                $filter,
                " FOR UPDATE OF p"
            ),
        }
    };
}

const BY_SNAP_KEY: Lookup =
    lookup!("payments p", "p.merchant_id = $4 AND p.face = $5 AND p.reference_no = $6 AND p.merchant_reference = $7");
const BY_PG3_KEY: Lookup = lookup!(
    "payments p",
    "p.merchant_id = $4 AND p.face = $5 AND p.id = $6 AND p.merchant_reference = $7 AND p.order_id = $8"
);
const BY_REFERENCE: Lookup = lookup!("payments p", "p.merchant_id = $4 AND p.face = $5 AND p.merchant_reference = $6");
const BY_ACQUIRER_REFERENCE: Lookup = lookup!("payments p", "(p.reference_no = $4 OR p.id = $4)");
/// The merchant's payment (of one face) that holds a virtual-account number, or held
/// it last: a released number keeps pointing at its last holder until it is claimed
/// again.
const BY_MERCHANT_NUMBER: Lookup = lookup!(
    "va_numbers v JOIN payments p ON p.id = v.payment_id",
    "p.merchant_id = $4 AND p.face = $5 AND v.number = $6"
);
/// The payment that holds a virtual-account number now.
const BY_NUMBER: Lookup =
    lookup!("va_numbers v JOIN payments p ON p.id = v.payment_id", "v.number = $4 AND v.live_until > $5");

/// Pending payments past their expiry, oldest first. (`'pending'` is
/// `PaymentState::Pending`, written out so the partial index applies.)
const DUE_EXPIRIES: &str =
    "SELECT id FROM payments WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT $2";
/// The operator's list. Absent filters are NULL; ids are time-ordered (UUIDv7), so
/// `id < cursor` pages backwards through time. With a merchant, it walks that
/// merchant's index.
macro_rules! list_payments {
    ($scope:literal, $reference:literal) => {
        concat!(
            "SELECT p.* FROM payments p WHERE ",
            $scope,
            " AND (CAST($2 AS TEXT) IS NULL OR p.state = $2)
               AND (CAST($3 AS TEXT) IS NULL OR p.face = $3)
               AND (CAST($4 AS TEXT) IS NULL OR p.instrument LIKE $4)
               AND (CAST($5 AS BIGINT) IS NULL OR p.created_at >= $5)
               AND (CAST($6 AS BIGINT) IS NULL OR p.created_at < $6)
               AND ",
            $reference,
            " AND (CAST($8 AS TEXT) IS NULL OR p.id < $8)
             ORDER BY p.id DESC LIMIT $9"
        )
    };
}
const LIST_ALL: &str = list_payments!(
    "CAST($1 AS BIGINT) IS NULL",
    "(CAST($7 AS TEXT) IS NULL OR p.reference_no = $7 OR p.merchant_reference = $7)"
);
const LIST_OF_MERCHANT: &str = list_payments!(
    "p.merchant_id = $1",
    "(CAST($7 AS TEXT) IS NULL OR p.reference_no = $7 OR p.merchant_reference = $7)"
);
/// A reference is looked up through its two indexes, whatever else is asked.
const LIST_BY_REFERENCE: &str = list_payments!(
    "(CAST($1 AS BIGINT) IS NULL OR p.merchant_id = $1)",
    "(p.reference_no = $7 OR p.merchant_reference = $7)"
);
const HISTORY: &str =
    "SELECT version, kind, amount, state, at FROM payment_events WHERE payment_id = $1 ORDER BY version";
const REFUNDS: &str = "SELECT * FROM refunds WHERE payment_id = $1 ORDER BY created_at, refund_no";
const REQUEST_ID_USED: &str =
    "SELECT 1 AS used FROM request_ids WHERE merchant_id = $1 AND day = $2 AND request_id = $3";
const REFUND_BY_NUMBER: &str = "SELECT * FROM refunds WHERE merchant_id = $1 AND merchant_refund_no = $2";
const NUMBER_TAKEN: &str = "SELECT 1 AS taken FROM va_numbers WHERE number = $1 AND live_until > $2";
const RECEIPTS: &str = "SELECT amount, paid_at, payer FROM receipts WHERE payment_id = $1 ORDER BY id DESC LIMIT $2";

const INSERT_REQUEST_ID: &str =
    "INSERT INTO request_ids (merchant_id, day, request_id, created_at) VALUES ($1, $2, $3, $4)";
const INSERT_PAYMENT: &str = "INSERT INTO payments (id, merchant_id, reference_no, merchant_reference, order_id, face,
       fingerprint, amount, rule, multi_use, received, refunded, state, instrument, callback_url, payer, created_at,
       expires_at, paid_at, canceled_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";
const UPDATE_PAYMENT: &str = "UPDATE payments SET state = $1, received = $2, refunded = $3, payer = $4, paid_at = $5,
       canceled_at = $6, expires_at = $7, version = $8
     WHERE id = $9 AND version = $10";
const AMEND_PAYMENT: &str = "UPDATE payments SET amount = $1, rule = $2, instrument = $3, callback_url = $4,
       expires_at = $5, version = $6
     WHERE id = $7 AND version = $8";
const INSERT_RECEIPT: &str = "INSERT INTO receipts (payment_id, amount, paid_at, payer) VALUES ($1, $2, $3, $4)";
const INSERT_REFUND: &str = "INSERT INTO refunds (refund_no, payment_id, merchant_id, merchant_refund_no, fingerprint,
       amount, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
/// Takes a number unless a live virtual account holds it.
const CLAIM_NUMBER: &str = "INSERT INTO va_numbers (number, payment_id, live_until) VALUES ($1, $2, $3)
     ON CONFLICT (number) DO UPDATE SET payment_id = excluded.payment_id, live_until = excluded.live_until
     WHERE va_numbers.live_until <= $4";
const RELEASE_NUMBER: &str = "UPDATE va_numbers SET live_until = CASE WHEN live_until < $1 THEN live_until ELSE $1 END
     WHERE number = $2 AND payment_id = $3";
const EXTEND_NUMBER: &str = "UPDATE va_numbers SET live_until = $1 WHERE number = $2 AND payment_id = $3";
const INSERT_EVENT: &str =
    "INSERT INTO payment_events (payment_id, version, kind, amount, state, at) VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (merchant_id, payment_id, target_url, notice, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

/// PostgreSQL: a state-machine step in one statement. Every part hangs off `upd`, so
/// if the version moved on, nothing at all is written.
const PG_UPDATE: &str = "WITH upd AS (
        UPDATE payments SET state = $1, received = $2, refunded = $3, payer = $4, paid_at = $5, canceled_at = $6,
                            expires_at = $7, version = $8
        WHERE id = $9 AND version = $10
        RETURNING id, merchant_id),
    rid AS (
        INSERT INTO request_ids (merchant_id, day, request_id, created_at)
        SELECT merchant_id, $12::text, $13::text, $11::bigint FROM upd WHERE $13::text IS NOT NULL),
    rcp AS (
        INSERT INTO receipts (payment_id, amount, paid_at, payer)
        SELECT id, $14::bigint, $11::bigint, $15::text FROM upd WHERE $14::bigint IS NOT NULL),
    rfd AS (
        INSERT INTO refunds (refund_no, payment_id, merchant_id, merchant_refund_no, fingerprint, amount, reason,
                             created_at)
        SELECT $16::text, id, merchant_id, $17::text, $18::text, $19::bigint, $20::text, $11::bigint FROM upd
        WHERE $16::text IS NOT NULL),
    num AS (
        UPDATE va_numbers SET live_until = LEAST(live_until, $11::bigint)
        WHERE number = $21::text AND payment_id IN (SELECT id FROM upd)),
    evt AS (
        INSERT INTO payment_events (payment_id, version, kind, amount, state, at)
        SELECT id, $8::bigint, $22::text, $23::bigint, $1::text, $11::bigint FROM upd),
    obx AS (
        INSERT INTO outbox (merchant_id, payment_id, target_url, notice, next_attempt_at, created_at)
        SELECT merchant_id, id, $24::text, $25::text, $11::bigint, $11::bigint FROM upd WHERE $25::text IS NOT NULL)
    SELECT COUNT(*) AS changed FROM upd";

/// PostgreSQL: new terms in one statement, hanging off the version-checked update.
const PG_AMEND: &str = "WITH upd AS (
        UPDATE payments SET amount = $1, rule = $2, instrument = $3, callback_url = $4, expires_at = $5, version = $6
        WHERE id = $7 AND version = $8
        RETURNING id, merchant_id),
    rid AS (
        INSERT INTO request_ids (merchant_id, day, request_id, created_at)
        SELECT merchant_id, $10::text, $11::text, $9::bigint FROM upd WHERE $11::text IS NOT NULL),
    num AS (
        UPDATE va_numbers SET live_until = $5::bigint
        WHERE number = $12::text AND payment_id IN (SELECT id FROM upd)),
    evt AS (
        INSERT INTO payment_events (payment_id, version, kind, amount, state, at)
        SELECT id, $6::bigint, $13::text, NULL, $14::text, $9::bigint FROM upd)
    SELECT COUNT(*) AS changed FROM upd";

/// PostgreSQL: a new payment in one statement, written only if its number (if any)
/// could be claimed.
const PG_INSERT: &str = "WITH num AS (
        INSERT INTO va_numbers (number, payment_id, live_until)
        SELECT $22::text, $1::text, $23::bigint WHERE $22::text IS NOT NULL
        ON CONFLICT (number) DO UPDATE SET payment_id = excluded.payment_id, live_until = excluded.live_until
        WHERE va_numbers.live_until <= $24::bigint
        RETURNING number),
    ins AS (
        INSERT INTO payments (id, merchant_id, reference_no, merchant_reference, order_id, face, fingerprint, amount,
                              rule, multi_use, received, refunded, state, instrument, callback_url, payer, created_at,
                              expires_at, paid_at, canceled_at, version)
        SELECT $1::text, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::text,
               $10::bigint, $11::bigint, $12::bigint, $13::text, $14::text, $15::text, $16::text, $17::bigint,
               $18::bigint, $19::bigint, $20::bigint, $21::bigint
        WHERE $22::text IS NULL OR EXISTS (SELECT 1 FROM num)
        RETURNING id, merchant_id),
    rid AS (
        INSERT INTO request_ids (merchant_id, day, request_id, created_at)
        SELECT merchant_id, $25::text, $26::text, $24::bigint FROM ins WHERE $26::text IS NOT NULL),
    evt AS (
        INSERT INTO payment_events (payment_id, version, kind, amount, state, at)
        SELECT id, $21::bigint, $27::text, $28::bigint, $13::text, $24::bigint FROM ins)
    SELECT COUNT(*) AS changed FROM ins";

/// The 21 columns of a payment row, in `INSERT_PAYMENT`'s order.
fn payment_columns<'a>(
    p: &'a Payment,
    id: &'a str,
    rule: &'a str,
    instrument: &'a str,
    payer: Option<&'a str>,
) -> [Param<'a>; 21] {
    params![
        id,
        p.merchant_id.0,
        &p.reference_no,
        &p.merchant_reference,
        p.order_id.as_deref(),
        p.face.as_str(),
        &p.fingerprint,
        p.amount.sen(),
        rule,
        i64::from(p.multi_use),
        p.received.sen(),
        p.refunded.sen(),
        p.state.as_str(),
        instrument,
        &p.callback_url,
        payer,
        p.created_at,
        p.expires_at,
        p.paid_at,
        p.canceled_at,
        p.version,
    ]
}

/// `UPDATE_PAYMENT`'s parameters, which `PG_UPDATE` starts with too: the changed
/// columns, then the row and the version it must still have.
fn update_columns<'a>(p: &'a Payment, id: &'a str, payer: Option<&'a str>) -> [Param<'a>; 10] {
    params![
        p.state.as_str(),
        p.received.sen(),
        p.refunded.sen(),
        payer,
        p.paid_at,
        p.canceled_at,
        p.expires_at,
        p.version,
        id,
        p.version - 1,
    ]
}

/// The text forms of a payment's columns, made once per write; an update changes
/// neither the rule nor the instrument, so only an insert encodes them.
struct Encoded {
    id: String,
    payer: Option<String>,
    fixed: Option<(String, String)>,
}

impl Encoded {
    fn of(p: &Payment, kind: ChangeKind) -> Self {
        let fixed = match kind {
            ChangeKind::Insert | ChangeKind::Amend => Some((encode_json(&p.rule), encode_json(&p.instrument))),
            ChangeKind::Update => None,
        };
        Self { id: p.id.to_string(), payer: p.payer.as_ref().map(encode_json), fixed }
    }

    fn fixed(&self) -> (&str, &str) {
        self.fixed.as_ref().map_or(("", ""), |(r, i)| (r.as_str(), i.as_str()))
    }

    /// `INSERT_PAYMENT`'s parameters (an insert's encoding has the rule and instrument).
    fn columns<'a>(&'a self, p: &'a Payment) -> [Param<'a>; 21] {
        let (rule, instrument) = self.fixed();
        payment_columns(p, &self.id, rule, instrument, self.payer.as_deref())
    }

    /// `AMEND_PAYMENT`'s parameters, which `PG_AMEND` starts with too.
    fn terms<'a>(&'a self, p: &'a Payment) -> [Param<'a>; 8] {
        let (rule, instrument) = self.fixed();
        params![p.amount.sen(), rule, instrument, &p.callback_url, p.expires_at, p.version, &self.id, p.version - 1]
    }
}

fn request_id_params(request_id: Option<&RequestId>) -> [Param<'_>; 3] {
    match request_id {
        Some(r) => params![r.merchant_id.0, &r.day, &r.id],
        None => [Param::Null; 3],
    }
}

impl Conn<'_> {
    /// Everything a command asked for.
    pub(super) fn load(&mut self, need: &Need<'_>) -> StoreResult<Loaded> {
        let mut loaded = Loaded::default();
        let mut request_id_checked = false;
        if let Some(by) = need.payment
            && let Some((payment, used)) = self.find(by, need.request_id)?
        {
            loaded.payment = Some(payment);
            loaded.request_id_used = used;
            request_id_checked = true;
        }
        if let (Some(request_id), false) = (need.request_id, request_id_checked) {
            let used = self.sql.query_opt(REQUEST_ID_USED, &request_id_params(Some(request_id)), |_| Ok(()))?;
            loaded.request_id_used = used.is_some();
        }
        if let Some((merchant_id, number)) = need.refund {
            loaded.refund = self.sql.query_opt(REFUND_BY_NUMBER, &params![merchant_id.0, number], |row| {
                Ok((rows::payment_id(&row.text("payment_id")?)?, rows::refund(row)?))
            })?;
        }
        if let Some((number, now)) = need.number {
            loaded.number_taken = self.sql.query_opt(NUMBER_TAKEN, &params![number, now], |_| Ok(()))?.is_some();
        }
        Ok(loaded)
    }

    /// The payment `by` names, without recording anything.
    pub fn payment(&mut self, by: &PaymentRef) -> StoreResult<Option<Payment>> {
        Ok(self.find(by, None)?.map(|(payment, _)| payment))
    }

    /// The latest `limit` receipts of a payment, newest first.
    pub fn receipts(&mut self, id: PaymentId, limit: u32) -> StoreResult<Vec<Receipt>> {
        let id = id.to_string();
        Ok(self.sql.query_all(RECEIPTS, &params![id.as_str(), i64::from(limit)], rows::receipt)?)
    }

    /// The payment and whether `request_id` was used, in one query.
    fn find(&mut self, by: &PaymentRef, request_id: Option<&RequestId>) -> StoreResult<Option<(Payment, bool)>> {
        let [r1, r2, r3] = request_id_params(request_id);
        let id_text;
        let (lookup, args): (&Lookup, Vec<Param<'_>>) = match by {
            PaymentRef::Merchant { merchant_id, face, key } => {
                let (m, f) = (Param::Int(merchant_id.0), Param::Text(face.as_str()));
                match key {
                    MerchantKey::Snap { reference_no, merchant_reference } => {
                        (&BY_SNAP_KEY, vec![m, f, reference_no.into(), merchant_reference.into()])
                    }
                    MerchantKey::Pg3 { transaction_id, merchant_reference, order_id } => {
                        id_text = transaction_id.to_string();
                        (&BY_PG3_KEY, vec![m, f, id_text.as_str().into(), merchant_reference.into(), order_id.into()])
                    }
                    MerchantKey::Reference(reference) => (&BY_REFERENCE, vec![m, f, reference.into()]),
                    MerchantKey::Number(number) => (&BY_MERCHANT_NUMBER, vec![m, f, number.into()]),
                }
            }
            PaymentRef::Acquirer { reference } => (&BY_ACQUIRER_REFERENCE, vec![reference.into()]),
            PaymentRef::VirtualAccount { number, now } => (&BY_NUMBER, vec![number.into(), (*now).into()]),
        };
        let sql = if self.lock { lookup.locked } else { lookup.plain };
        let params: Vec<Param<'_>> = [r1, r2, r3].into_iter().chain(args).collect();
        Ok(self.sql.query_opt(sql, &params, |row| Ok((rows::payment(row)?, row.int("request_id_used")? != 0)))?)
    }

    pub(super) fn list_payments(&mut self, f: &PaymentFilter) -> StoreResult<Vec<Payment>> {
        let sql = match (&f.reference, f.merchant) {
            (Some(_), _) => LIST_BY_REFERENCE,
            (None, Some(_)) => LIST_OF_MERCHANT,
            (None, None) => LIST_ALL,
        };
        // The instrument column is the domain's `Instrument` as JSON, tagged by variant.
        let kind = f.virtual_account.map(|va| if va { r#"{"VirtualAccount"%"# } else { r#"{"Qris"%"# });
        let args = params![
            f.merchant.map(|m| m.0),
            f.state.map(|s| s.as_str()),
            f.face.map(|face| face.as_str()),
            kind,
            f.from,
            f.until,
            f.reference.as_deref(),
            f.after.as_deref(),
            i64::from(f.limit),
        ];
        Ok(self.sql.query_all(sql, &args, rows::payment)?)
    }

    pub(super) fn history(&mut self, id: PaymentId) -> StoreResult<Vec<HistoryEntry>> {
        let id = id.to_string();
        Ok(self.sql.query_all(HISTORY, &params![id.as_str()], |row| {
            Ok(HistoryEntry {
                version: row.int("version")?,
                kind: row.text("kind")?,
                amount: row.opt_int("amount")?.map(crate::domain::Amount::from_sen),
                state: row.text("state")?,
                at: row.int("at")?,
            })
        })?)
    }

    pub(super) fn refunds(&mut self, id: PaymentId) -> StoreResult<Vec<Refund>> {
        let id = id.to_string();
        Ok(self.sql.query_all(REFUNDS, &params![id.as_str()], rows::refund)?)
    }

    /// Up to `limit` payments still pending past their expiry.
    pub(super) fn due_expiries(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<String>> {
        Ok(self.sql.query_all(DUE_EXPIRIES, &params![now, i64::from(limit)], |row| row.text("id"))?)
    }

    /// Persists a decision atomically. [`StoreError::Conflict`] when the payment (or
    /// the number it claims) changed since it was loaded: nothing was written.
    pub(super) fn apply(&mut self, changes: &Changes) -> StoreResult<()> {
        if changes.is_empty() {
            return Ok(());
        }
        match self.dialect() {
            Dialect::Sqlite => self.apply_in_steps(changes),
            Dialect::Postgres => self.apply_in_one_statement(changes),
        }
    }

    fn apply_in_steps(&mut self, changes: &Changes) -> StoreResult<()> {
        self.sql.execute("SAVEPOINT apply", &[])?;
        let written = self.write_steps(changes);
        if written.is_err() {
            self.sql.execute("ROLLBACK TO apply", &[])?;
        }
        self.sql.execute("RELEASE apply", &[])?;
        written
    }

    fn write_steps(&mut self, changes: &Changes) -> StoreResult<()> {
        let now = changes.now;
        if let Some(r) = &changes.request_id {
            self.sql.execute(INSERT_REQUEST_ID, &params![r.merchant_id.0, &r.day, &r.id, now])?;
        }
        let Some(change) = &changes.payment else {
            return Ok(());
        };
        let p = &change.next;
        let encoded = Encoded::of(p, change.kind);
        let id = encoded.id.as_str();
        let written = match change.kind {
            ChangeKind::Insert => self.sql.execute(INSERT_PAYMENT, &encoded.columns(p))?,
            ChangeKind::Update => self.sql.execute(UPDATE_PAYMENT, &update_columns(p, id, encoded.payer.as_deref()))?,
            ChangeKind::Amend => self.sql.execute(AMEND_PAYMENT, &encoded.terms(p))?,
        };
        if written != 1 {
            return Err(StoreError::Conflict);
        }
        if let Effect::Received(receipt) = &change.effect {
            let payer = encode_json(&receipt.payer);
            self.sql.execute(INSERT_RECEIPT, &params![id, receipt.amount.sen(), receipt.paid_at, payer.as_str()])?;
        }
        if let Some(refund) = &change.refund {
            self.sql.execute(
                INSERT_REFUND,
                &params![
                    &refund.refund_no,
                    id,
                    p.merchant_id.0,
                    &refund.merchant_refund_no,
                    &refund.fingerprint,
                    refund.amount.sen(),
                    refund.reason.as_deref(),
                    refund.created_at,
                ],
            )?;
        }
        match &change.number {
            Some(NumberChange::Claim { number, until }) => {
                let claimed = self.sql.execute(CLAIM_NUMBER, &params![number, id, *until, now])?;
                if claimed != 1 {
                    return Err(StoreError::Conflict);
                }
            }
            Some(NumberChange::Release { number }) => {
                self.sql.execute(RELEASE_NUMBER, &params![now, number, id])?;
            }
            Some(NumberChange::Extend { number, until }) => {
                self.sql.execute(EXTEND_NUMBER, &params![*until, number, id])?;
            }
            None => {}
        }
        let amount = change.effect.amount().map(|a| a.sen());
        self.sql
            .execute(INSERT_EVENT, &params![id, p.version, change.effect.as_str(), amount, p.state.as_str(), now])?;
        if let Some(notice) = &change.notice {
            self.sql.execute(INSERT_OUTBOX, &params![p.merchant_id.0, id, &notice.url, &notice.notice, now, now])?;
        }
        Ok(())
    }

    fn apply_in_one_statement(&mut self, changes: &Changes) -> StoreResult<()> {
        let now = changes.now;
        let [_, day, request] = request_id_params(changes.request_id.as_ref());
        let Some(change) = &changes.payment else {
            let r = changes.request_id.as_ref().expect("non-empty changes without a payment record a request id");
            self.sql.execute(INSERT_REQUEST_ID, &params![r.merchant_id.0, &r.day, &r.id, now])?;
            return Ok(());
        };
        let p = &change.next;
        let encoded = Encoded::of(p, change.kind);
        let id = encoded.id.as_str();
        let amount = change.effect.amount().map(|a| a.sen());
        let changed = match change.kind {
            ChangeKind::Insert => {
                let (number, until) = match &change.number {
                    Some(NumberChange::Claim { number, until }) => (Some(number.as_str()), Some(*until)),
                    Some(NumberChange::Release { .. } | NumberChange::Extend { .. }) | None => (None, None),
                };
                let columns = encoded.columns(p);
                let rest = params![number, until, now, day, request, change.effect.as_str(), amount];
                let all: Vec<Param<'_>> = columns.into_iter().chain(rest).collect();
                self.sql.query_opt(PG_INSERT, &all, |row| row.int("changed"))?
            }
            ChangeKind::Update => {
                let receipt = match &change.effect {
                    Effect::Received(receipt) => Some((receipt.amount.sen(), encode_json(&receipt.payer))),
                    _ => None,
                };
                let refund = change.refund.as_ref();
                let released = match &change.number {
                    Some(NumberChange::Release { number }) => Some(number.as_str()),
                    Some(NumberChange::Claim { .. } | NumberChange::Extend { .. }) | None => None,
                };
                let rest = params![
                    now,
                    day,
                    request,
                    receipt.as_ref().map(|(amount, _)| *amount),
                    receipt.as_ref().map(|(_, payer)| payer.as_str()),
                    refund.map(|r| r.refund_no.as_str()),
                    refund.map(|r| r.merchant_refund_no.as_str()),
                    refund.map(|r| r.fingerprint.as_str()),
                    refund.map(|r| r.amount.sen()),
                    refund.and_then(|r| r.reason.as_deref()),
                    released,
                    change.effect.as_str(),
                    amount,
                    change.notice.as_ref().map(|n| n.url.as_str()),
                    change.notice.as_ref().map(|n| n.notice.as_str()),
                ];
                let columns = update_columns(p, id, encoded.payer.as_deref());
                let all: Vec<Param<'_>> = columns.into_iter().chain(rest).collect();
                self.sql.query_opt(PG_UPDATE, &all, |row| row.int("changed"))?
            }
            ChangeKind::Amend => {
                let extended = match &change.number {
                    Some(NumberChange::Extend { number, .. }) => Some(number.as_str()),
                    Some(NumberChange::Claim { .. } | NumberChange::Release { .. }) | None => None,
                };
                let rest = params![now, day, request, extended, change.effect.as_str(), p.state.as_str()];
                let all: Vec<Param<'_>> = encoded.terms(p).into_iter().chain(rest).collect();
                self.sql.query_opt(PG_AMEND, &all, |row| row.int("changed"))?
            }
        };
        if changed != Some(1) {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }
}
