//! PG3 virtual accounts: create, inquiry and cancel.

use std::sync::Arc;

use lunas_protocol::crypto::sha256_hex;
use lunas_protocol::pg3::Code;
use lunas_protocol::pg3::va::{
    CancelVaResponse, CreateVaRequest, MIN_AMOUNT, MIN_AMOUNT_BNI_OPEN, PaymentSystem, VaLookupRequest, VaResponse,
    ValidCreateVa, ValidLookup, status,
};

use super::Pg3Error;
use crate::acquirer::Requested;
use crate::app::change::{self, Change};
use crate::app::create::{self, Created, Order, VaSpec};
use crate::app::query;
use crate::domain::time::from_datetime;
use crate::domain::{AmountRule, Event, Face, Merchant, Payment, PaymentId, Timestamp};
use crate::http::AppState;
use crate::render::pg3::{history, va_body, va_status};
use crate::store::{MerchantKey, PaymentRef};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
/// Inquiry shows this many of the latest payments.
const HISTORY: u32 = 5;

fn respond(
    payment: &Payment,
    now: Timestamp,
    histories: Option<Vec<lunas_protocol::pg3::va::History>>,
) -> Result<VaResponse, Pg3Error> {
    let va = va_body(payment, va_status(payment.state_at(now)), None).ok_or_else(Pg3Error::not_found)?;
    Ok(VaResponse {
        response_code: Code::Success.as_str().to_string(),
        response_message: Code::Success.message().to_string(),
        va,
        transaction_histories: histories,
    })
}

/// When the VA stops accepting payments, as iFortepay defaults and bounds it.
fn expiry(valid: &ValidCreateVa, rule: AmountRule, multi_use: bool, now: Timestamp) -> Result<Timestamp, Pg3Error> {
    let finpay = valid.channel.name == "FINPAY";
    let Some(requested) = valid.expired_time else {
        return Ok(now + if finpay { DAY_MS } else { create::default_va_lifetime(rule, multi_use) });
    };
    let requested = from_datetime(requested);
    let lifetime = requested - now;
    let fits = if finpay { (10 * MINUTE_MS..=DAY_MS).contains(&lifetime) } else { lifetime > 0 };
    if !fits {
        return Err(Pg3Error::parameter("payment_details.expired_time is invalid"));
    }
    Ok(requested)
}

pub async fn create(
    state: AppState,
    merchant: Arc<Merchant>,
    request: CreateVaRequest,
) -> Result<VaResponse, Pg3Error> {
    let valid = request.validate()?;
    let now = state.clock.now();
    let (rule, multi_use) = match valid.payment_system {
        PaymentSystem::Closed => (AmountRule::Exact, valid.is_multi_use),
        PaymentSystem::Open => {
            let minimum = if valid.channel.small_open_amounts { MIN_AMOUNT_BNI_OPEN } else { MIN_AMOUNT };
            (AmountRule::Open { minimum }, valid.is_multi_use)
        }
        // Instalments are many payments by nature.
        PaymentSystem::Partial => (AmountRule::Partial, true),
    };
    let expires_at = expiry(&valid, rule, multi_use, now)?;
    let callback_url = valid
        .callback_url
        .clone()
        .or_else(|| merchant.callback_url.clone())
        .ok_or_else(|| Pg3Error::parameter("callback_url is required"))?;
    let order_echo = serde_json::to_value(&valid.order).map_err(|_| Pg3Error::system())?;
    let fingerprint = sha256_hex(
        serde_json::json!([
            valid.order_id,
            valid.channel.name,
            valid.billing_name,
            valid.va_number,
            valid.payment_system.as_str(),
            multi_use,
            valid.amount.rupiah(),
            valid.expired_time.map(|t| t.unix_timestamp()),
            valid.description,
            // The request's own URL: a later change of the merchant's default must not
            // turn an identical retry into a conflict.
            valid.callback_url,
            order_echo,
        ])
        .to_string()
        .as_bytes(),
    );
    let order = Order {
        merchant,
        face: Face::Pg3,
        merchant_reference: valid.external_id.clone(),
        order_id: Some(valid.order_id.clone()),
        fingerprint,
        request_id: None,
        amount: valid.amount,
        rule,
        multi_use,
        callback_url,
        expires_at,
    };
    let spec = VaSpec {
        channel: valid.channel.name,
        billing_name: valid.billing_name,
        description: valid.description,
        order: order_echo,
        requested_number: valid.va_number.map(Requested::Digits),
    };
    // A repeat of the same request answers with the VA it created.
    let (Created::New(payment) | Created::Existing(payment)) = create::virtual_account(&state, order, spec).await?;
    respond(&payment, now, None)
}

/// The payment a lookup names.
fn lookup(merchant: &Merchant, valid: &ValidLookup) -> Result<PaymentRef, Pg3Error> {
    let transaction_id = uuid::Uuid::parse_str(&valid.transaction_id).map_err(|_| Pg3Error::not_found())?;
    Ok(PaymentRef::Merchant {
        face: Face::Pg3,
        merchant_id: merchant.id,
        key: MerchantKey::Pg3 {
            transaction_id: PaymentId(transaction_id),
            merchant_reference: valid.external_id.clone(),
            order_id: valid.order_id.clone(),
        },
    })
}

/// A lookup must name the channel the VA was opened on.
fn on_channel(payment: &Payment, channel: &str) -> bool {
    payment.virtual_account().is_some_and(|va| va.channel.eq_ignore_ascii_case(channel))
}

pub async fn inquiry(
    state: AppState,
    merchant: Arc<Merchant>,
    request: VaLookupRequest,
) -> Result<VaResponse, Pg3Error> {
    let valid = request.validate()?;
    let (payment, receipts) = query::inquiry(&state, lookup(&merchant, &valid)?, HISTORY).await?;
    if !on_channel(&payment, valid.channel.name) {
        return Err(Pg3Error::not_found());
    }
    respond(&payment, state.clock.now(), Some(receipts.into_iter().map(history).collect()))
}

pub async fn cancel(
    state: AppState,
    merchant: Arc<Merchant>,
    request: VaLookupRequest,
) -> Result<CancelVaResponse, Pg3Error> {
    let valid = request.validate()?;
    let channel = valid.channel.name;
    let change = Change {
        target: lookup(&merchant, &valid)?,
        event: Event::Cancel,
        request_id: None,
        merchant,
        guard: Some(Box::new(move |p: &Payment| on_channel(p, channel))),
    };
    let payment = change::apply(&state, change).await?;
    Ok(CancelVaResponse {
        transaction_id: payment.id.to_string(),
        external_id: payment.merchant_reference,
        order_id: payment.order_id.unwrap_or_default(),
        // Echoed as the merchant spelled them, as the seed page shows.
        payment_method: request.payment_method.unwrap_or_default(),
        payment_channel: request.payment_channel.unwrap_or_default(),
        transaction_status: status::CANCELED.to_string(),
        response_code: Code::Success.as_str().to_string(),
    })
}
