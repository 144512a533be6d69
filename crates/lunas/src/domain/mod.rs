//! The payment domain: merchants, payments and the one state machine every API
//! family drives. Nothing here knows HTTP, JSON field names or SQL.

mod error;
mod machine;
mod merchant;
mod payment;
pub mod time;

pub use error::{Action, DomainError};
pub use lunas_protocol::money::Amount;
pub use machine::{Effect, Event, NoticeKind, Step, Terms, Transition, transition};
pub use merchant::{Merchant, MerchantId, NewMerchant, generate_secret, new_partner_id};
pub use payment::{
    AmountRule, Face, Instrument, NewPayment, Payer, Payment, PaymentId, PaymentState, Receipt, Refund, VirtualAccount,
};
pub use time::{Clock, Timestamp};
