//! SNAP virtual accounts: create (27), inquiry (30), inquiry status (26) and delete
//! (31), over the same VA model the PG3 face and the sandbox bank use.

use lunas_protocol::pg3::va::{Channel, MIN_AMOUNT, MIN_AMOUNT_BNI_OPEN, bank_identification, channel};
use lunas_protocol::snap::va::*;
use lunas_protocol::snap::{Case, ResponseCode, Service};

use super::{Caller, SnapError};
use crate::acquirer::{AcquirerError, Requested};
use crate::app::change::{self, Change};
use crate::app::create::{self, Created, Order, VaSpec, default_va_lifetime, fingerprint};
use crate::app::{AppError, query};
use crate::domain::time::from_datetime;
use crate::domain::{Action, Amount, AmountRule, DomainError, Event, Face, Payment, PaymentState, Terms};
use crate::http::AppState;
use crate::render::snap_va;
use crate::store::{MerchantKey, PaymentRef};

/// The bank when the merchant names none.
const DEFAULT_CHANNEL: &str = "BCA";

fn success(service: Service) -> (String, String) {
    let code = ResponseCode::new(service, Case::Successful);
    (code.to_string(), code.message(None))
}

/// The VA face's reading of a failure: a VA that is not there, paid or expired is a
/// bill problem (`404xx12`, `14`, `19`), not a transaction one.
fn va_error(e: AppError) -> SnapError {
    match e {
        AppError::Domain(DomainError::NotFound) => SnapError::new(Case::InvalidBill, "Not Found"),
        AppError::Domain(DomainError::InvalidState { state: PaymentState::Expired, .. }) => {
            SnapError::plain(Case::ExpiredBill)
        }
        AppError::Domain(DomainError::InvalidState { action: Action::Close, state: PaymentState::Pending }) => {
            SnapError::plain(Case::OperationNotAllowed)
        }
        AppError::Domain(DomainError::InvalidState { state: PaymentState::Canceled, .. }) => {
            SnapError::new(Case::InvalidBill, "Deleted")
        }
        AppError::Domain(DomainError::InvalidState { .. }) => SnapError::plain(Case::PaidBill),
        AppError::Domain(
            DomainError::AmountMismatch { .. }
            | DomainError::AmountOutOfRange { .. }
            | DomainError::FractionalAmount { .. },
        ) => SnapError::plain(Case::InvalidAmount),
        AppError::Domain(DomainError::NumberInUse) | AppError::Acquirer(AcquirerError::InvalidNumber) => {
            SnapError::format("customerNo")
        }
        other => other.into(),
    }
}

/// The bank: `additionalInfo.channel`, else the one whose BIN is `partnerServiceId`,
/// else BCA.
fn resolve_channel(valid: &ValidCreateVa) -> Result<&'static Channel, SnapError> {
    if let Some(channel) = valid.channel {
        return Ok(channel);
    }
    let system = valid.trx_type.payment_system();
    let by_bin =
        |id: &str| lunas_protocol::pg3::va::CHANNELS.iter().find(|c| bank_identification(c.name, system).0 == id);
    match &valid.service_id {
        Some(id) => by_bin(id).ok_or_else(|| SnapError::format("partnerServiceId")),
        None => channel(DEFAULT_CHANNEL).ok_or_else(|| SnapError::plain(Case::GeneralError)),
    }
}

/// The amount rule of a type at a bank. A well-formed amount the bank does not take
/// (below Rp 10,000 for a set amount, below the open minimum for `M` and `N`) is
/// `404xx13 Invalid Amount`.
fn rule(trx_type: TrxType, channel: &Channel, amount: Option<Amount>) -> Result<AmountRule, SnapError> {
    let open_minimum = if channel.small_open_amounts { MIN_AMOUNT_BNI_OPEN } else { MIN_OPEN_AMOUNT };
    let amount = amount.unwrap_or(Amount::ZERO);
    let (rule, least) = match trx_type {
        TrxType::Closed | TrxType::MultiClosed => (AmountRule::Exact, MIN_AMOUNT),
        TrxType::Partial => (AmountRule::Partial, MIN_AMOUNT),
        TrxType::Open => (AmountRule::Open { minimum: open_minimum }, Amount::ZERO),
        TrxType::Minimum | TrxType::OpenMinimum => (AmountRule::Open { minimum: amount }, open_minimum),
    };
    if amount < least {
        return Err(SnapError::plain(Case::InvalidAmount));
    }
    Ok(rule)
}

pub async fn create(state: AppState, caller: Caller, request: CreateVaRequest) -> Result<VaResponse, SnapError> {
    let valid = request.validate(TrxType::Closed)?;
    let now = state.clock.now();
    let channel = resolve_channel(&valid)?;
    let system = valid.trx_type.payment_system();
    if system == lunas_protocol::pg3::va::PaymentSystem::Partial && !channel.partial {
        return Err(SnapError::format("virtualAccountTrxType"));
    }
    let (bin, _) = bank_identification(channel.name, system);
    if valid.service_id.as_deref().is_some_and(|id| id != bin) {
        return Err(SnapError::format("partnerServiceId"));
    }
    let rule = rule(valid.trx_type, channel, valid.amount)?;
    let amount = valid.amount.unwrap_or(Amount::ZERO);
    let multi_use = valid.trx_type.multi_use();
    let expires_at = match valid.expired_date.map(from_datetime) {
        Some(at) if at <= now => return Err(SnapError::format("expiredDate")),
        Some(at) => at,
        None => now + default_va_lifetime(rule, multi_use),
    };
    let callback_url = valid
        .callback_url
        .clone()
        .or_else(|| caller.merchant.callback_url.clone())
        .ok_or_else(|| SnapError::missing("additionalInfo.callbackUrl"))?;
    let echo = serde_json::to_string(&valid.echo).map_err(|_| SnapError::plain(Case::GeneralError))?;
    let fingerprint = fingerprint(&[
        &valid.name,
        channel.name,
        valid.customer_no.as_deref().unwrap_or(""),
        &amount.sen().to_string(),
        &valid.fee.map(|fee| fee.sen().to_string()).unwrap_or_default(),
        &valid.expired_date.map(|t| t.unix_timestamp().to_string()).unwrap_or_default(),
        valid.callback_url.as_deref().unwrap_or(""),
        &echo,
    ]);
    let order = Order {
        merchant: caller.merchant.clone(),
        face: Face::SnapVa,
        merchant_reference: valid.trx_id.clone(),
        order_id: None,
        fingerprint,
        request_id: Some(caller.request_id),
        amount,
        rule,
        multi_use,
        callback_url,
        expires_at,
    };
    let spec = VaSpec {
        channel: channel.name,
        billing_name: valid.name,
        description: String::new(),
        order: snap_va::new_echo(valid.echo, padded_service_id(bin)),
        requested_number: valid.customer_no.map(Requested::CustomerNo),
    };
    let payment = match create::virtual_account(&state, order, spec).await.map_err(va_error)? {
        Created::New(payment) => payment,
        Created::Existing(_) => return Err(SnapError::plain(Case::DuplicatePartnerReferenceNo)),
    };
    respond(Service::CreateVa, &payment, &state)
}

/// Update VA (28): new terms for a VA no money reached yet. The bank, the number and
/// `virtualAccountTrxType` stay as created (an absent type means the VA's own); an
/// absent `expiredDate` or `additionalInfo.callbackUrl` keeps its value, and the
/// optional echo fields are replaced, as a PUT replaces the VA's description. What is
/// kept is read inside the command, so two updates cannot undo each other.
pub async fn update(state: AppState, caller: Caller, request: CreateVaRequest) -> Result<VaResponse, SnapError> {
    let identity = request.triple().validate()?;
    let target = by_trx_id(&caller, request.checked_trx_id()?);
    let current = query::find(&state, target.clone()).await.map_err(va_error)?;
    // The bank, the BIN and the type never change, so reading them here is safe.
    let (Some(va), Some(kept)) = (current.virtual_account(), snap_va::echo(&current)) else {
        return Err(va_error(DomainError::NotFound.into()));
    };
    if !holds(&current, &identity) {
        return Err(va_error(DomainError::NotFound.into()));
    }
    let created_as = TrxType::parse(&kept.fields.virtual_account_trx_type).unwrap_or(TrxType::Closed);
    let valid = request.validate(created_as)?;
    if valid.trx_type != created_as {
        return Err(SnapError::format("virtualAccountTrxType"));
    }
    if valid.channel.is_some_and(|c| !c.name.eq_ignore_ascii_case(&va.channel)) {
        return Err(SnapError::format("additionalInfo.channel"));
    }
    let channel = channel(&va.channel).ok_or_else(|| SnapError::plain(Case::GeneralError))?;
    let expires_at = valid.expired_date.map(from_datetime);
    if expires_at.is_some_and(|at| at <= state.clock.now()) {
        return Err(SnapError::format("expiredDate"));
    }
    let terms = Terms {
        amount: valid.amount.unwrap_or(Amount::ZERO),
        rule: rule(valid.trx_type, channel, valid.amount)?,
        expires_at,
        callback_url: valid.callback_url,
        billing_name: valid.name,
        order: snap_va::new_echo(valid.echo, kept.partner_service_id),
    };
    let change = Change {
        target,
        event: Event::Amend(Box::new(terms)),
        request_id: Some(caller.request_id),
        merchant: caller.merchant,
        guard: Some(Box::new(move |p: &Payment| holds(p, &identity))),
    };
    let payment = change::apply(&state, change).await.map_err(va_error)?;
    respond(Service::UpdateVa, &payment, &state)
}

/// Update status VA (29). `Y`: the merchant calls a VA that has taken money settled,
/// and it takes no more (a multi-use or partial VA stops; one already paid answers as
/// it is). A VA that has taken nothing cannot be called paid: lunas does not invent
/// money (`405xx01`). `N`: the VA must still be open; a paid one stays paid (`404xx14`),
/// since money the bank moved is not undone by a flag.
pub async fn update_status(
    state: AppState,
    caller: Caller,
    request: UpdateStatusRequest,
) -> Result<VaResponse, SnapError> {
    let (identity, trx_id, paid) = request.validate()?;
    let target = by_trx_id(&caller, trx_id);
    let payment = if paid {
        let change = Change {
            target,
            event: Event::Close,
            request_id: Some(caller.request_id),
            merchant: caller.merchant,
            guard: Some(Box::new(move |p: &Payment| holds(p, &identity))),
        };
        change::apply(&state, change).await.map_err(va_error)?
    } else {
        let payment = query::query(&state, target, caller.request_id).await.map_err(va_error)?;
        if !holds(&payment, &identity) {
            return Err(va_error(DomainError::NotFound.into()));
        }
        let now = state.clock.now();
        match payment.state_at(now) {
            PaymentState::Pending => payment,
            other => {
                return Err(va_error(DomainError::InvalidState { action: Action::Close, state: other }.into()));
            }
        }
    };
    respond(Service::UpdateVaStatus, &payment, &state)
}

fn respond(service: Service, payment: &Payment, state: &AppState) -> Result<VaResponse, SnapError> {
    let data = snap_va::va_data(payment, state.clock.now()).ok_or_else(|| SnapError::plain(Case::GeneralError))?;
    let (response_code, response_message) = success(service);
    Ok(VaResponse { response_code, response_message, virtual_account_data: data })
}

/// The merchant's SNAP VA `trx_id`, which must hold the account `identity` names.
fn by_trx_id(caller: &Caller, trx_id: String) -> PaymentRef {
    PaymentRef::Merchant { merchant_id: caller.merchant.id, face: Face::SnapVa, key: MerchantKey::Reference(trx_id) }
}

fn holds(payment: &Payment, identity: &Identity) -> bool {
    payment.virtual_account().is_some_and(|va| va.number == identity.number())
}

pub async fn inquiry(state: AppState, caller: Caller, request: VaLookupRequest) -> Result<VaResponse, SnapError> {
    let (identity, trx_id) = request.validate(true)?;
    let target = by_trx_id(&caller, trx_id.unwrap_or_default());
    let payment = query::query(&state, target, caller.request_id).await.map_err(va_error)?;
    if !holds(&payment, &identity) {
        return Err(va_error(DomainError::NotFound.into()));
    }
    respond(Service::InquiryVa, &payment, &state)
}

pub async fn status(state: AppState, caller: Caller, request: StatusRequest) -> Result<StatusResponse, SnapError> {
    let valid = request.validate()?;
    let now = state.clock.now();
    let target = PaymentRef::Merchant {
        merchant_id: caller.merchant.id,
        face: Face::SnapVa,
        key: MerchantKey::Number(valid.identity.number()),
    };
    let payment = query::query(&state, target, caller.request_id).await.map_err(va_error)?;
    let data = snap_va::payment_status(&payment, now, valid.inquiry_request_id)
        .ok_or_else(|| SnapError::plain(Case::GeneralError))?;
    let (response_code, response_message) = success(Service::VaStatus);
    Ok(StatusResponse { response_code, response_message, virtual_account_data: data })
}

pub async fn delete(state: AppState, caller: Caller, request: VaLookupRequest) -> Result<DeleteVaResponse, SnapError> {
    let (identity, trx_id) = request.validate(false)?;
    let target = match trx_id {
        Some(trx_id) => by_trx_id(&caller, trx_id),
        None => PaymentRef::Merchant {
            merchant_id: caller.merchant.id,
            face: Face::SnapVa,
            key: MerchantKey::Number(identity.number()),
        },
    };
    let change = Change {
        target,
        event: Event::Delete,
        request_id: Some(caller.request_id),
        merchant: caller.merchant,
        guard: Some(Box::new(move |p: &Payment| holds(p, &identity))),
    };
    let payment = change::apply(&state, change).await.map_err(va_error)?;
    let identity = snap_va::identity(&payment).ok_or_else(|| SnapError::plain(Case::GeneralError))?;
    let (response_code, response_message) = success(Service::DeleteVa);
    Ok(DeleteVaResponse {
        response_code,
        response_message,
        virtual_account_data: DeletedVa { identity, trx_id: payment.merchant_reference },
    })
}
