//! The defenses of the history tour, each a mechanism of a real system:
//! the server consults them while it answers, so every outcome comes from a
//! reply, a drop or a missing retry, never from a probability.

pub mod auth;
pub mod conn_rate;
pub mod dnsbl;
pub mod familiar;
pub mod greylist;
pub mod op25b;
pub mod pop_before_smtp;
pub mod spf_check;
pub mod tarpit;
