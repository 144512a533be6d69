//! Grades a merchant's callback endpoint the way a careful reviewer would: genuine
//! notifications acknowledged (again when repeated), forged, tampered or stale ones
//! refused with a 4xx, and every answer within the gateway's delivery timeout.

use std::fmt;
use std::time::{Duration, Instant};

use lunas_protocol::crypto::{random_bytes, random_digits};
use lunas_protocol::pg3::va::{OrderEcho, PaymentDetailsOut, VaBody};
use lunas_protocol::pg3::{MCP_SIGNATURE, SignedIds};
use lunas_protocol::snap::codes::PROCESSED_SUCCESSFULLY;
use lunas_protocol::snap::qr::{NotificationInfo, QrNotification, QrStatusReport};
use lunas_protocol::snap::{Money, notification_headers};
use time::OffsetDateTime;

use crate::verify::CallbackKeys;

/// Which notifications the endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// SNAP payment notifications (QRIS and SNAP VA), `X-SIGNATURE` with HMAC-SHA512.
    Snap,
    /// PG3 VA callbacks, `mcp-signature`.
    Pg3,
}

/// What to check: the endpoint (for SNAP also the URL the signature covers, in
/// `keys.notify_url`), the merchant's keys, and the gateway's delivery timeout.
#[derive(Debug, Clone)]
pub struct Check {
    pub url: String,
    pub face: Face,
    pub partner_id: String,
    pub keys: CallbackKeys,
    pub timeout: Duration,
}

/// One case of the check and how the endpoint did.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub case: &'static str,
    pub expected: &'static str,
    pub passed: bool,
    /// What the endpoint did: its status and time, or why it could not be reached.
    pub observed: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub url: String,
    pub verdicts: Vec<Verdict>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "callback check of {}", self.url)?;
        for v in &self.verdicts {
            let mark = if v.passed { "pass" } else { "FAIL" };
            writeln!(f, "  {mark}  {}: expected {}; {}", v.case, v.expected, v.observed)?;
        }
        let failed = self.verdicts.iter().filter(|v| !v.passed).count();
        match failed {
            0 => write!(f, "all {} cases passed", self.verdicts.len()),
            n => write!(f, "{n} of {} cases failed", self.verdicts.len()),
        }
    }
}

/// A request the check sends.
struct Probe {
    case: &'static str,
    refuse: bool,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// Sends every case, one after another, and grades the answers.
pub async fn check_callback(check: &Check) -> Report {
    let probes = match check.face {
        Face::Snap => snap_probes(check),
        Face::Pg3 => pg3_probes(check),
    };
    // The check's own timeout is longer than the gateway's, so a slow answer is
    // measured rather than cut off.
    // Redirects are not followed, as the gateway's deliveries do not follow them.
    let http = reqwest::Client::builder()
        .timeout(check.timeout.saturating_mul(3))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client builds");
    let mut verdicts = Vec::with_capacity(probes.len());
    for probe in probes {
        verdicts.push(send(&http, check, probe).await);
    }
    Report { url: check.url.clone(), verdicts }
}

async fn send(http: &reqwest::Client, check: &Check, probe: Probe) -> Verdict {
    let mut request = http.post(&check.url).header("Content-Type", "application/json");
    for (name, value) in &probe.headers {
        request = request.header(*name, value);
    }
    let started = Instant::now();
    let answer = request.body(probe.body).send().await;
    let took = started.elapsed();
    let expected = if probe.refuse { "a 4xx refusal" } else { "a 2xx acknowledgement" };
    let (passed, observed) = match answer {
        Err(e) => (false, format!("no answer: {e}")),
        Ok(answer) => {
            let status = answer.status();
            let right = if probe.refuse { status.is_client_error() } else { status.is_success() };
            let in_time = took <= check.timeout;
            let mut observed = format!("answered HTTP {} in {} ms", status.as_u16(), took.as_millis());
            if !in_time {
                observed.push_str(&format!(", slower than the {} ms delivery timeout", check.timeout.as_millis()));
            }
            (right && in_time, observed)
        }
    };
    Verdict { case: probe.case, expected, passed, observed }
}

fn timestamp(at: OffsetDateTime) -> String {
    lunas_protocol::timestamp::format(at)
}

fn snap_probes(check: &Check) -> Vec<Probe> {
    let body = serde_json::to_vec(&sample_notification(&check.partner_id, "15000.00")).expect("serialises");
    let tampered = serde_json::to_vec(&sample_notification(&check.partner_id, "1.00")).expect("serialises");
    let signed = |body: &[u8], secret: &str, at: OffsetDateTime| {
        let url = &check.keys.notify_url;
        notification_headers(url, body, &check.partner_id, secret, &timestamp(at), random_digits(16))
    };
    let now = OffsetDateTime::now_utc();
    let other_secret = hex::encode(random_bytes(32));
    let age = check.keys.max_age.max(Duration::from_secs(300)).saturating_mul(2).min(Duration::from_secs(366 * 86_400));
    let stale = now - age;
    let probe = |case, refuse, headers, body: &Vec<u8>| Probe { case, refuse, headers, body: body.clone() };
    vec![
        probe("a genuine notification", false, signed(&body, &check.keys.client_secret, now), &body),
        probe("the same notification again", false, signed(&body, &check.keys.client_secret, now), &body),
        probe("a signature made with another secret", true, signed(&body, &other_secret, now), &body),
        probe("a body changed after signing", true, signed(&body, &check.keys.client_secret, now), &tampered),
        probe("a stale X-TIMESTAMP, correctly signed", true, signed(&body, &check.keys.client_secret, stale), &body),
        probe("no X-SIGNATURE", true, without_signature(signed(&body, &check.keys.client_secret, now)), &body),
    ]
}

fn pg3_probes(check: &Check) -> Vec<Probe> {
    let body = serde_json::to_vec(&sample_callback()).expect("serialises");
    let ids = SignedIds::from_body(&body).expect("the sample carries its ids");
    let signed = |hash_key: &str| vec![(MCP_SIGNATURE, ids.callback_signature(hash_key))];
    let probe = |case, refuse, headers| Probe { case, refuse, headers, body: body.clone() };
    vec![
        probe("a genuine callback", false, signed(&check.keys.hash_key)),
        probe("the same callback again", false, signed(&check.keys.hash_key)),
        probe("a signature made with another hash key", true, signed(&hex::encode(random_bytes(16)))),
        probe("a signature that is not hex SHA-256", true, vec![(MCP_SIGNATURE, "forged".to_string())]),
        probe("no mcp-signature", true, Vec::new()),
    ]
}

fn without_signature(mut headers: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    headers.retain(|(name, _)| *name != lunas_protocol::snap::headers::X_SIGNATURE);
    headers
}

/// A paid QRIS notification for a payment the merchant never made: a careful
/// handler acknowledges it (the signature is genuine) and finds nothing to update.
fn sample_notification(partner_id: &str, amount: &str) -> QrNotification {
    let reference = format!("CHECK{}", random_digits(15));
    QrNotification {
        response_code: "2005200".to_string(),
        response_message: PROCESSED_SUCCESSFULLY.to_string(),
        status: QrStatusReport {
            original_reference_no: reference.clone(),
            original_partner_reference_no: reference,
            service_code: "47".to_string(),
            latest_transaction_status: "00".to_string(),
            transaction_status_desc: "Success".to_string(),
            paid_time: Some(timestamp(OffsetDateTime::now_utc())),
            amount: Money { value: amount.to_string(), currency: "IDR".to_string() },
            terminal_id: None,
        },
        additional_info: NotificationInfo {
            merchant_id: partner_id.to_string(),
            payment_channel: "QRIS".to_string(),
            issuer: Some("SANDBOX".to_string()),
            retrieval_reference_no: Some(random_digits(12)),
            customer_name: None,
            refund_no: None,
            partner_refund_no: None,
            refund_amount: None,
            refunded_amount: None,
            refund_time: None,
        },
    }
}

/// A PG3 `PAID` callback for a virtual account the merchant never made.
fn sample_callback() -> VaBody {
    let now = lunas_protocol::timestamp::format_millis(OffsetDateTime::now_utc());
    VaBody {
        transaction_id: format!("check-{}", random_digits(18)),
        external_id: format!("CHECK{}", random_digits(12)),
        order_id: format!("CHECK{}", random_digits(12)),
        reference_id: random_digits(12),
        currency: "IDR".to_string(),
        payment_method: "BANK_TRANSFER".to_string(),
        payment_channel: "BCA".to_string(),
        payment_system: "CLOSED".to_string(),
        transaction_status: "PAID".to_string(),
        transaction_time: now.clone(),
        payment_details: PaymentDetailsOut {
            billing_name: "Callback Check".to_string(),
            va_number: format!("40414{}", random_digits(9)),
            payment_system: "CLOSED".to_string(),
            is_multi_use: false,
            amount: 15000,
            total_amount: 15000,
            total_paid_amount: 15000,
            paid_amount: Some(15000),
            paid_time: Some(now.clone()),
            expired_time: now,
            transaction_description: "lunas check-callback".to_string(),
        },
        order: OrderEcho::default(),
    }
}
