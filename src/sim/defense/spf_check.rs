//! SPF at the receiving server (RFC 7208 §2.4, §8): the simulated DNS serves
//! the evaluator, and the server's policy maps each result to a reply.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::scenario::SpfAction;
use crate::sim::dns::Dns;
use crate::sim::smtp::{Refusal, Reply};
use crate::sim::spf::{DnsError, SpfDns, SpfResult};

impl SpfDns for Dns {
    fn txt(&mut self, name: &str) -> Result<Vec<String>, DnsError> {
        self.answer(name, |d, n| d.txt(n))
    }
    fn a(&mut self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        self.answer(name, |d, n| d.a(n))
    }
    fn aaaa(&mut self, name: &str) -> Result<Vec<Ipv6Addr>, DnsError> {
        // The simulated Internet is IPv4 only: no AAAA records anywhere.
        self.answer(name, |_, _| Vec::new())
    }
    fn mx(&mut self, name: &str) -> Result<Vec<(u16, String)>, DnsError> {
        self.answer(name, |d, n| d.mx_records(n))
    }
    fn ptr(&mut self, ip: IpAddr) -> Result<Vec<String>, DnsError> {
        Ok(match ip {
            IpAddr::V4(v4) => self.ptr_of(v4),
            IpAddr::V6(_) => Vec::new(),
        })
    }
}

impl Dns {
    /// NXDOMAIN for a name with no records at all; NODATA (empty) otherwise.
    fn answer<T>(&mut self, name: &str, f: impl FnOnce(&mut Dns, &str) -> Vec<T>) -> Result<Vec<T>, DnsError> {
        let name = name.trim_end_matches('.');
        if !self.has_name(name) {
            self.queries += 1;
            return Err(DnsError::NxDomain);
        }
        Ok(f(self, name))
    }
}

/// The reply for a result the policy refuses; `None` when it accepts.
pub fn refusal(result: &SpfResult, action: SpfAction, sender: &str) -> Option<Reply> {
    let (perm, temp, what) = match result {
        SpfResult::Fail { .. } | SpfResult::SoftFail => ("5.7.23", "4.7.23", "SPF validation failed"),
        SpfResult::PermError(_) => ("5.7.24", "4.7.24", "SPF permanent error"),
        SpfResult::TempError(_) => ("5.7.24", "4.7.24", "SPF temporary error"),
        _ => return None,
    };
    let detail = match result {
        SpfResult::Fail { explanation: Some(e) } => format!(" ({e})"),
        r => format!(" (spf={})", r.as_str()),
    };
    // RFC 7372 §3.2 and RFC 7208 §8.4, §8.6, §8.7.
    match action {
        SpfAction::Mark => None,
        SpfAction::Reject => Some(
            Reply::new(550, format!("{perm} <{sender}>: Sender address rejected: {what}{detail}"))
                .refusing(Refusal::Spf),
        ),
        SpfAction::Defer => Some(
            Reply::new(451, format!("{temp} <{sender}>: Sender address rejected: {what}{detail}"))
                .refusing(Refusal::Spf),
        ),
    }
}

/// The client address as the evaluator wants it.
pub fn ip(v4: Ipv4Addr) -> IpAddr {
    IpAddr::V4(v4)
}
