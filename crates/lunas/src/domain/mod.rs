//! The payment domain: merchants, payments and the one state machine every API
//! family drives. Nothing here knows HTTP, JSON field names or SQL.

mod error;
mod merchant;
mod payment;
pub mod time;

pub use error::{Action, DomainError};
pub use merchant::{Merchant, MerchantId, NewMerchant, generate_secret, new_partner_id};
pub use payment::{
    AmountRule, Event, Face, Instrument, NewPayment, Notice, NoticeKind, Payer, Payment, PaymentId, PaymentState,
    Receipt, Refund, Transition, VirtualAccount, transition,
};
pub use time::{Clock, Timestamp};
