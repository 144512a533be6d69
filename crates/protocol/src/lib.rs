//! Wire formats of the two API families lunas speaks (SNAP and, later, PG3), their
//! signature schemes, money and time spellings, and the QRIS payload format.
//!
//! Nothing here performs I/O, so a merchant SDK can reuse every type and signer.

pub mod crypto;
pub mod explain;
pub mod minify;
pub mod money;
pub mod pg3;
pub mod qris;
pub mod snap;
pub mod timestamp;
pub mod validate;
