//! PG3 virtual accounts: create, inquiry and cancel.

use axum::http::StatusCode;
use lunas_protocol::crypto::sha256_hex;
use lunas_protocol::pg3::va::{
    CancelVaResponse, CreateVaRequest, History, OrderEcho, PaymentDetailsOut, PaymentSystem, VaBody, VaLookupRequest,
    VaResponse, ValidCreateVa, ValidLookup, status,
};
use lunas_protocol::pg3::{BANK_TRANSFER, Code};
use lunas_protocol::timestamp::format_millis;

use super::Pg3Error;
use crate::acquirer::{AcquirerError, VaOrder};
use crate::api::AppState;
use crate::api::snap::new_reference;
use crate::domain::time::{from_datetime, to_datetime};
use crate::domain::{
    AmountRule, DomainError, Event, Face, Instrument, Merchant, NewPayment, Payment, PaymentId, PaymentState, Receipt,
    Timestamp, VirtualAccount,
};
use crate::store::{MerchantKey, PaymentCommand, PaymentRef, StoreError};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
const TEN_YEARS_MS: i64 = 3_652 * DAY_MS;
/// How often a generated number that turns out to be taken is drawn again.
const NUMBER_ATTEMPTS: usize = 5;
/// Inquiry shows this many of the latest payments.
const HISTORY: u32 = 5;

fn rupiah(sen: i64) -> i64 {
    sen / 100
}

fn time(at: Timestamp) -> String {
    format_millis(to_datetime(at))
}

/// PG3's `transaction_status` for a VA's state.
fn va_status(state: PaymentState) -> &'static str {
    match state {
        PaymentState::Pending => status::PENDING,
        PaymentState::Paid => status::PAID,
        PaymentState::PartiallyRefunded | PaymentState::Refunded => status::REFUNDED,
        PaymentState::Canceled => status::CANCELED,
        PaymentState::Expired => status::EXPIRED,
    }
}

fn payment_system(rule: AmountRule) -> PaymentSystem {
    match rule {
        AmountRule::Exact => PaymentSystem::Closed,
        AmountRule::Open { .. } => PaymentSystem::Open,
        AmountRule::Partial => PaymentSystem::Partial,
    }
}

/// The VA as PG3 describes it. `payment` is `(amount, at)` of the payment a callback
/// reports; `status` overrides the VA's own status.
pub fn va_body(payment: &Payment, now: Timestamp, status: Option<&str>, paid: Option<i64>) -> Option<VaBody> {
    let va = payment.virtual_account()?;
    let order: OrderEcho = serde_json::from_value(va.order.clone()).unwrap_or_default();
    let system = payment_system(payment.rule).as_str().to_string();
    Some(VaBody {
        transaction_id: payment.id.0.to_string(),
        external_id: payment.merchant_reference.clone(),
        order_id: payment.order_id.clone().unwrap_or_default(),
        reference_id: payment.reference_no.clone(),
        currency: lunas_protocol::money::IDR.to_string(),
        payment_method: BANK_TRANSFER.to_string(),
        payment_channel: va.channel.clone(),
        payment_system: system.clone(),
        transaction_status: status.unwrap_or(va_status(payment.state_at(now))).to_string(),
        transaction_time: time(payment.created_at),
        payment_details: PaymentDetailsOut {
            billing_name: va.billing_name.clone(),
            va_number: va.number.clone(),
            payment_system: system,
            is_multi_use: payment.multi_use,
            amount: rupiah(payment.amount),
            total_amount: rupiah(payment.amount),
            total_paid_amount: rupiah(payment.received),
            paid_amount: paid.map(rupiah),
            paid_time: payment.paid_at.map(time),
            expired_time: time(payment.expires_at),
            transaction_description: va.description.clone(),
        },
        order,
    })
}

fn respond(payment: &Payment, now: Timestamp, histories: Option<Vec<History>>) -> Result<VaResponse, Pg3Error> {
    let va = va_body(payment, now, None, None).ok_or_else(Pg3Error::not_found)?;
    Ok(VaResponse {
        response_code: Code::Success.as_str().to_string(),
        response_message: Code::Success.message().to_string(),
        va,
        transaction_histories: histories,
    })
}

/// When the VA stops accepting payments, as iFortepay defaults and bounds it.
fn expiry(valid: &ValidCreateVa, multi_use: bool, now: Timestamp) -> Result<Timestamp, Pg3Error> {
    let finpay = valid.channel.name == "FINPAY";
    let default = match valid.payment_system {
        PaymentSystem::Closed if multi_use && !finpay => TEN_YEARS_MS,
        PaymentSystem::Open if !finpay => TEN_YEARS_MS,
        _ => DAY_MS,
    };
    let Some(requested) = valid.expired_time else {
        return Ok(now + default);
    };
    let requested = from_datetime(requested);
    let lifetime = requested - now;
    let fits = if finpay { (10 * MINUTE_MS..=DAY_MS).contains(&lifetime) } else { lifetime > 0 };
    if !fits {
        return Err(Pg3Error::parameter("payment_details.expired_time is invalid"));
    }
    Ok(requested)
}

pub async fn create(state: AppState, merchant: Merchant, request: CreateVaRequest) -> Result<VaResponse, Pg3Error> {
    let valid = request.validate()?;
    let now = state.clock.now();
    let (rule, multi_use) = match valid.payment_system {
        PaymentSystem::Closed => (AmountRule::Exact, valid.is_multi_use),
        PaymentSystem::Open => {
            let minimum = if valid.channel.small_open_amounts {
                lunas_protocol::pg3::va::MIN_AMOUNT_BNI_OPEN
            } else {
                lunas_protocol::pg3::va::MIN_AMOUNT
            };
            (AmountRule::Open { minimum: minimum * 100 }, valid.is_multi_use)
        }
        // Instalments are many payments by nature.
        PaymentSystem::Partial => (AmountRule::Partial, true),
    };
    let expires_at = expiry(&valid, multi_use, now)?;
    let callback_url = valid
        .callback_url
        .clone()
        .or_else(|| merchant.callback_url.clone())
        .ok_or_else(|| Pg3Error::parameter("callback_url is required"))?;
    let order = serde_json::to_value(&valid.order).map_err(|_| Pg3Error::system())?;
    let fingerprint = sha256_hex(
        serde_json::json!([
            valid.order_id,
            valid.channel.name,
            valid.billing_name,
            valid.va_number,
            valid.payment_system.as_str(),
            multi_use,
            valid.amount,
            valid.expired_time.map(|t| t.unix_timestamp()),
            valid.description,
            // The request's own URL: a later change of the merchant's default must not
            // turn an identical retry into a conflict.
            valid.callback_url,
            order,
        ])
        .to_string()
        .as_bytes(),
    );

    // A repeat of the same request answers with the VA it created.
    let by_reference = |external_id: &str| PaymentRef::Merchant {
        face: Face::Pg3,
        merchant_id: merchant.id,
        key: MerchantKey::Reference(external_id.to_string()),
    };
    match state.store.payment(by_reference(&valid.external_id)).await {
        Ok(existing) if existing.fingerprint == fingerprint => return respond(&existing, now, None),
        Ok(_) => return Err(DomainError::InconsistentRequest.into()),
        Err(StoreError::Domain(DomainError::NotFound)) => {}
        Err(e) => return Err(e.into()),
    }

    for _ in 0..NUMBER_ATTEMPTS {
        let number = state
            .acquirer
            .issue_virtual_account(&VaOrder {
                merchant: &merchant,
                channel: valid.channel.name,
                rule,
                requested: valid.va_number.as_deref(),
            })
            .await
            .map_err(|e| match e {
                AcquirerError::InvalidNumber => Pg3Error::parameter("payment_details.va_number is invalid"),
                AcquirerError::Failure(reason) => {
                    tracing::error!(reason, "the bank refused a virtual account");
                    Pg3Error::new(
                        StatusCode::BAD_GATEWAY,
                        Code::FailedRequest,
                        "the bank did not open the virtual account",
                    )
                }
            })?;
        let payment = NewPayment {
            merchant_id: merchant.id,
            reference_no: new_reference(now),
            merchant_reference: valid.external_id.clone(),
            order_id: Some(valid.order_id.clone()),
            face: Face::Pg3,
            fingerprint: fingerprint.clone(),
            amount: valid.amount * 100,
            rule,
            multi_use,
            instrument: Instrument::VirtualAccount(Box::new(VirtualAccount {
                channel: valid.channel.name.to_string(),
                number,
                billing_name: valid.billing_name.clone(),
                description: valid.description.clone(),
                order: order.clone(),
            })),
            callback_url: callback_url.clone(),
            created_at: now,
            expires_at,
        };
        match state.store.create_payment(payment.into(), None).await {
            Ok(created) => return respond(&created, now, None),
            // A drawn number that is taken is drawn again; a chosen one is refused.
            Err(StoreError::Domain(DomainError::NumberInUse)) if valid.va_number.is_none() => continue,
            // Lost a race with the same request: answer with the winner's VA.
            Err(StoreError::Domain(DomainError::DuplicateReference)) => {
                return respond(&state.store.payment(by_reference(&valid.external_id)).await?, now, None);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Pg3Error::new(StatusCode::SERVICE_UNAVAILABLE, Code::FailedRequest, "no free virtual account number"))
}

/// The payment a lookup names, checked against the channel it claims.
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

fn same_channel(payment: &Payment, valid: &ValidLookup) -> Result<(), Pg3Error> {
    match payment.virtual_account() {
        Some(va) if va.channel.eq_ignore_ascii_case(valid.channel.name) => Ok(()),
        _ => Err(Pg3Error::not_found()),
    }
}

fn history(receipt: Receipt) -> History {
    History {
        transaction_status: status::PAID.to_string(),
        amount: rupiah(receipt.amount),
        paid_time: time(receipt.paid_at),
        reference_id: receipt.payer.retrieval_reference_no,
    }
}

pub async fn inquiry(state: AppState, merchant: Merchant, request: VaLookupRequest) -> Result<VaResponse, Pg3Error> {
    let valid = request.validate()?;
    let (payment, receipts) = state.store.payment_history(lookup(&merchant, &valid)?, HISTORY).await?;
    same_channel(&payment, &valid)?;
    respond(&payment, state.clock.now(), Some(receipts.into_iter().map(history).collect()))
}

pub async fn cancel(
    state: AppState,
    merchant: Merchant,
    request: VaLookupRequest,
) -> Result<CancelVaResponse, Pg3Error> {
    let valid = request.validate()?;
    let target = lookup(&merchant, &valid)?;
    // The channel never changes, so checking it before the atomic cancel is safe.
    same_channel(&state.store.payment(target.clone()).await?, &valid)?;
    let applied = state
        .store
        .apply(PaymentCommand { payment: target, event: Event::Cancel, request_id: None, now: state.clock.now() })
        .await?;
    let payment = applied.payment;
    Ok(CancelVaResponse {
        transaction_id: payment.id.0.to_string(),
        external_id: payment.merchant_reference,
        order_id: payment.order_id.unwrap_or_default(),
        // Echoed as the merchant spelled them, as the seed page shows.
        payment_method: request.payment_method.unwrap_or_default(),
        payment_channel: request.payment_channel.unwrap_or_default(),
        transaction_status: status::CANCELED.to_string(),
        response_code: Code::Success.as_str().to_string(),
    })
}
