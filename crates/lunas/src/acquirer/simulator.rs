//! The sandbox acquirer: issues real, well-formed QRIS payloads with sandbox merchant
//! account numbers. Payments arrive through the `/sandbox` routes.

use async_trait::async_trait;
use lunas_protocol::qris::{DynamicQris, TipIndicator};
use lunas_protocol::snap::qr::Tip;

use lunas_protocol::pg3::va::bank_identification;

use super::{Acquirer, AcquirerError, QrisOrder, Requested, VaOrder};
use crate::config::QrisConfig;

pub struct Simulator {
    qris: QrisConfig,
}

impl Simulator {
    pub fn new(qris: QrisConfig) -> Self {
        Self { qris }
    }
}

/// Luhn check digit for a digit string.
fn luhn_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// QRIS merchant names: printable ASCII, at most 25 characters.
fn qris_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(25).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() { "LUNAS MERCHANT".to_string() } else { trimmed.to_string() }
}

#[async_trait]
impl Acquirer for Simulator {
    async fn issue_qris(&self, order: &QrisOrder<'_>) -> Result<String, AcquirerError> {
        // Sandbox account numbers derived from the merchant's row id: 9360 (QRIS) +
        // 0899 (a made-up NNS) + 10 digits + Luhn digit.
        let body = format!("93600899{:010}", order.merchant.id.0);
        let merchant_pan = format!("{body}{}", luhn_digit(&body));
        let qris = DynamicQris {
            acquirer_domain: self.qris.acquirer_domain.clone(),
            merchant_pan,
            merchant_id: order.merchant.partner_id.clone(),
            nmid: format!("ID10{:011}", order.merchant.id.0),
            merchant_criteria: self.qris.merchant_criteria.clone(),
            merchant_category_code: self.qris.merchant_category_code.clone(),
            amount: order.amount,
            tip: order.tip.map(|tip| match tip {
                Tip::PayerEntered => TipIndicator::Prompt,
                Tip::Fixed(fee) => TipIndicator::FixedFee(fee),
            }),
            merchant_name: qris_name(&order.merchant.name),
            merchant_city: self.qris.merchant_city.chars().take(15).collect(),
            postal_code: self.qris.postal_code.clone(),
            reference_label: order.reference_no.to_string(),
            terminal_label: order.terminal_id.map(str::to_string),
        };
        qris.encode().map_err(|e| AcquirerError::Failure(e.to_string()))
    }

    async fn issue_virtual_account(&self, order: &VaOrder<'_>) -> Result<String, AcquirerError> {
        let (prefix, free_digits) = bank_identification(order.channel, order.rule.payment_system());
        // Four digits of the merchant, then the customer part: the merchant's own digits
        // for a static VA (so no merchant can take another's numbers), random otherwise.
        let merchant = format!("{:04}", order.merchant.id.0 % 10_000);
        let customer_digits = free_digits - merchant.len();
        let customer = match &order.requested {
            Some(Requested::Digits(digits)) if digits.len() <= customer_digits => {
                format!("{digits:0>customer_digits$}")
            }
            Some(Requested::CustomerNo(number)) if number.len() == free_digits && number.starts_with(&merchant) => {
                number[merchant.len()..].to_string()
            }
            Some(_) => return Err(AcquirerError::InvalidNumber),
            None => lunas_protocol::crypto::random_digits(u32::try_from(customer_digits).unwrap_or(0)),
        };
        Ok(format!("{prefix}{merchant}{customer}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert_eq!(luhn_digit("7992739871"), 3);
        assert_eq!(luhn_digit("453957876362148"), 6);
    }

    #[test]
    fn names_are_cut_to_qris_limits() {
        assert_eq!(qris_name("Toko Contoh"), "Toko Contoh");
        assert_eq!(qris_name("Warung Kopi Nusantara Jaya Abadi"), "Warung Kopi Nusantara Jay");
        assert_eq!(qris_name("☕☕"), "LUNAS MERCHANT");
    }
}
