//! Sender Policy Framework (RFC 7208) evaluator for the simulator: checks an
//! SMTP client against a domain's published policy over a synchronous,
//! synthetic DNS ([`SpfDns`]), and renders the resulting trace headers.
//!
//! Records come from user-written scenario files, so every input is treated
//! as untrusted: nothing here panics on bad data, and every syntax problem
//! becomes a typed permerror reason.

mod cidr;
mod dns;
mod domain;
mod eval;
mod header;
mod lookup;
mod macro_expand;
mod record;
mod result;

pub use cidr::DualCidr;
pub use dns::{DnsError, SpfDns, reverse_name};
pub use eval::{SpfRequest, check_helo, check_host, check_host_with, check_mail_from};
pub use header::{authentication_results_fragment, authentication_results_fragment_helo, received_spf_header};
pub use lookup::{MAX_DNS_LOOKUPS, MAX_MX_NAMES, MAX_PTR_NAMES, MAX_VOID_LOOKUPS};
pub use macro_expand::{MacroContext, MacroError, MacroExpr, MacroLetter, MacroMode, MacroString, MacroToken};
pub use record::{Directive, Mechanism, ParseError, Qualifier, Record, is_spf_record};
pub use result::{SpfError, SpfResult};
