//! Background work of every `lunas serve`: delivering notifications and pruning.

pub mod delivery;
pub mod housekeeping;
