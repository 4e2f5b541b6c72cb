//! Spam campaigns beyond their fixed strategy: campaigns that adapt
//! (`adapt.rs`) and the retry behaviour of their hosts as a mix
//! (`retry_mix.rs`).

pub mod adapt;
pub mod retry_mix;

pub use adapt::AdaptRt;
