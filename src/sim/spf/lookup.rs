//! DNS access for the evaluator with the RFC 7208 §4.6.4 bookkeeping: the
//! 10-term lookup limit, the 2 void-lookup limit, and the 10-name caps on
//! MX and PTR expansion.

use std::net::IpAddr;

use super::dns::{DnsError, SpfDns};
use super::domain::{is_same_or_subdomain, to_query_name};
use super::result::SpfError;

/// Limit on mechanisms/modifiers that query DNS (§4.6.4).
pub const MAX_DNS_LOOKUPS: u32 = 10;
/// Limit on lookups answering NXDOMAIN or no records (§4.6.4).
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// More MX names than this make `mx` a permerror (§4.6.4).
pub const MAX_MX_NAMES: usize = 10;
/// PTR names beyond this are ignored (§4.6.4).
pub const MAX_PTR_NAMES: usize = 10;

/// Stops evaluation: the final result is temperror or permerror.
#[derive(Debug)]
pub enum Abort {
    Temp(SpfError),
    Perm(SpfError),
}

pub type Step<T> = Result<T, Abort>;

fn temp(name: &str, rtype: &'static str, kind: DnsError) -> Abort {
    Abort::Temp(SpfError::Dns { name: name.to_string(), rtype, kind })
}

/// A DNS view with per-`check_host()` counters.
pub struct Resolver<'a> {
    pub dns: &'a mut dyn SpfDns,
    pub ip: IpAddr,
    lookups: u32,
    voids: u32,
    /// PTR names of `ip` that resolve back to it, computed once.
    validated: Option<Vec<String>>,
}

impl<'a> Resolver<'a> {
    pub fn new(dns: &'a mut dyn SpfDns, ip: IpAddr) -> Self {
        Resolver { dns, ip, lookups: 0, voids: 0, validated: None }
    }

    /// Charges one DNS-querying term (§4.6.4).
    pub fn count_lookup(&mut self) -> Step<()> {
        self.lookups += 1;
        if self.lookups > MAX_DNS_LOOKUPS {
            return Err(Abort::Perm(SpfError::TooManyLookups(MAX_DNS_LOOKUPS)));
        }
        Ok(())
    }

    fn count_void(&mut self) -> Step<()> {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            return Err(Abort::Perm(SpfError::TooManyVoidLookups(MAX_VOID_LOOKUPS)));
        }
        Ok(())
    }

    /// TXT records; `None` when the name does not exist.
    pub fn txt(&mut self, name: &str) -> Step<Option<Vec<String>>> {
        match self.dns.txt(name) {
            Ok(v) => Ok(Some(v)),
            Err(DnsError::NxDomain) => Ok(None),
            Err(e) => Err(temp(name, "TXT", e)),
        }
    }

    /// Addresses of the client's family (A for IPv4, AAAA for IPv6).
    fn addresses(&mut self, name: &str) -> Result<Vec<IpAddr>, (&'static str, DnsError)> {
        match self.ip {
            IpAddr::V4(_) => self.dns.a(name).map(|v| v.into_iter().map(IpAddr::V4).collect()).map_err(|e| ("A", e)),
            IpAddr::V6(_) => {
                self.dns.aaaa(name).map(|v| v.into_iter().map(IpAddr::V6).collect()).map_err(|e| ("AAAA", e))
            }
        }
    }

    /// Same-family addresses for `a`; empty answers count as void.
    pub fn term_addresses(&mut self, name: &str) -> Step<Vec<IpAddr>> {
        match self.addresses(name) {
            Ok(v) if !v.is_empty() => Ok(v),
            Ok(_) | Err((_, DnsError::NxDomain)) => self.count_void().map(|()| Vec::new()),
            Err((rtype, e)) => Err(temp(name, rtype, e)),
        }
    }

    /// `exists`: always an A query, whatever the client's family (§5.7).
    pub fn exists(&mut self, name: &str) -> Step<bool> {
        match self.dns.a(name) {
            Ok(v) if !v.is_empty() => Ok(true),
            Ok(_) | Err(DnsError::NxDomain) => self.count_void().map(|()| false),
            Err(e) => Err(temp(name, "A", e)),
        }
    }

    /// Addresses of all MX hosts of `name` (§5.4), at most 10 MX names.
    pub fn mx_addresses(&mut self, name: &str) -> Step<Vec<IpAddr>> {
        let mut mxs = match self.dns.mx(name) {
            Ok(v) => v,
            Err(DnsError::NxDomain) => Vec::new(),
            Err(e) => return Err(temp(name, "MX", e)),
        };
        if mxs.is_empty() {
            return self.count_void().map(|()| Vec::new());
        }
        if mxs.len() > MAX_MX_NAMES {
            return Err(Abort::Perm(SpfError::TooManyMx { domain: name.to_string(), count: mxs.len() }));
        }
        mxs.sort_by_key(|(pref, _)| *pref);
        let mut out = Vec::new();
        // A null MX ("." or "") has no address to look up (RFC 7505).
        for host in mxs.iter().filter_map(|(_, host)| to_query_name(host)) {
            match self.addresses(&host) {
                Ok(v) => out.extend(v),
                Err((_, DnsError::NxDomain)) => {}
                Err((rtype, e)) => return Err(temp(&host, rtype, e)),
            }
        }
        Ok(out)
    }

    /// `ptr` (§5.5): does a validated name of the client equal or end in
    /// `target`? A PTR lookup error is simply no match.
    pub fn ptr_matches(&mut self, target: &str) -> Step<bool> {
        let names = match self.dns.ptr(self.ip) {
            Ok(v) if !v.is_empty() => v,
            Ok(_) | Err(DnsError::NxDomain) => return self.count_void().map(|()| false),
            Err(_) => return Ok(false),
        };
        let validated = self.validate(names);
        Ok(validated.iter().any(|n| is_same_or_subdomain(n, target)))
    }

    /// `%{p}` for `domain` (§7.3): the domain itself if validated, else a
    /// validated subdomain, else any validated name; "unknown" if none.
    pub fn validated_ptr(&mut self, domain: &str) -> String {
        let validated = match &self.validated {
            Some(v) => v.clone(),
            None => {
                let names = self.dns.ptr(self.ip).unwrap_or_default();
                self.validate(names)
            }
        };
        let exact = validated.iter().find(|n| n.eq_ignore_ascii_case(domain));
        let sub = || validated.iter().find(|n| is_same_or_subdomain(n, domain));
        exact.or_else(sub).or(validated.first()).cloned().unwrap_or_else(|| "unknown".to_string())
    }

    /// Keeps the first 10 PTR names whose forward lookup includes the
    /// client address; lookup errors skip the name (§5.5, §4.6.4).
    fn validate(&mut self, names: Vec<String>) -> Vec<String> {
        if let Some(v) = &self.validated {
            return v.clone();
        }
        let ip = self.ip;
        let validated: Vec<String> = names
            .iter()
            .take(MAX_PTR_NAMES)
            .filter_map(|n| to_query_name(n))
            .filter(|n| self.addresses(n).is_ok_and(|addrs| addrs.contains(&ip)))
            .collect();
        self.validated = Some(validated.clone());
        validated
    }
}
