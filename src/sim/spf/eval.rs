//! `check_host()` (RFC 7208 §4): record selection, directive evaluation,
//! include / redirect recursion and the `exp=` explanation.

use std::net::IpAddr;

use super::cidr::{unmap, v4_in, v6_in};
use super::dns::SpfDns;
use super::domain::{is_valid_check_domain, to_query_name};
use super::lookup::{Abort, Resolver, Step};
use super::macro_expand::{MacroContext, MacroMode, MacroString};
use super::record::{Directive, Mechanism, Qualifier, Record, is_spf_record};
use super::result::{SpfError, SpfResult};

/// Include/redirect nesting bound; the 10-lookup limit stops first.
const MAX_DEPTH: u32 = 12;

/// Everything `check_host()` needs besides DNS.
#[derive(Debug, Clone)]
pub struct SpfRequest<'a> {
    /// SMTP client address; IPv4-mapped IPv6 is treated as IPv4 (§5).
    pub ip: IpAddr,
    /// Domain whose policy is checked (§4.1).
    pub domain: &'a str,
    /// MAIL FROM, or `postmaster@<helo>` for a HELO check (§4.1, §4.3).
    pub sender: &'a str,
    /// HELO/EHLO name (`%{h}`).
    pub helo: &'a str,
    /// Receiving host name for `%{r}` (exp only).
    pub receiver: &'a str,
    /// Seconds since the epoch for `%{t}` (exp only).
    pub timestamp: u64,
}

impl<'a> SpfRequest<'a> {
    /// A request with receiver "unknown" and timestamp 0. The simulator never
    /// reads the wall clock: callers that need `%{t}` set `timestamp` to the
    /// simulated time, so that runs stay reproducible.
    pub fn new(ip: IpAddr, domain: &'a str, sender: &'a str, helo: &'a str) -> Self {
        let timestamp = 0;
        SpfRequest { ip, domain, sender, helo, receiver: "unknown", timestamp }
    }
}

/// RFC 7208 `check_host(<ip>, <domain>, <sender>)` with the given HELO name.
pub fn check_host(dns: &mut dyn SpfDns, ip: IpAddr, domain: &str, sender: &str, helo: &str) -> SpfResult {
    check_host_with(dns, &SpfRequest::new(ip, domain, sender, helo))
}

/// Checks the MAIL FROM identity (the reverse-path without angle brackets),
/// falling back to the HELO identity (`postmaster@<helo>`) when it is empty
/// (§2.4).
pub fn check_mail_from(dns: &mut dyn SpfDns, ip: IpAddr, mail_from: &str, helo: &str) -> SpfResult {
    if mail_from.is_empty() {
        let sender = format!("postmaster@{helo}");
        return check_host(dns, ip, helo, &sender, helo);
    }
    let domain = mail_from.rsplit_once('@').map_or(mail_from, |(_, d)| d);
    check_host(dns, ip, domain, mail_from, helo)
}

/// Checks the HELO identity: `check_host(<ip>, <helo>, postmaster@<helo>)`
/// (§2.3).
pub fn check_helo(dns: &mut dyn SpfDns, ip: IpAddr, helo: &str) -> SpfResult {
    check_mail_from(dns, ip, "", helo)
}

/// `check_host()` with explicit receiver and timestamp.
pub fn check_host_with(dns: &mut dyn SpfDns, req: &SpfRequest<'_>) -> SpfResult {
    // §4.3: a malformed domain gives "none" before any lookup.
    if !is_valid_check_domain(req.domain) {
        return SpfResult::None;
    }
    let domain = req.domain.strip_suffix('.').unwrap_or(req.domain);
    let ip = unmap(req.ip);
    // §4.3: no local-part means "postmaster"; no "@" means a bare domain.
    let (local, sender_domain) = match req.sender.rsplit_once('@') {
        Some(("", d)) => ("postmaster", d),
        Some((l, d)) => (l, d),
        None if req.sender.is_empty() => ("postmaster", domain),
        None => ("postmaster", req.sender),
    };
    let mut eval = Evaluator { res: Resolver::new(dns, ip), req, ip, local, sender_domain };
    match eval.check_domain(domain, 0) {
        Ok(v) => match v.decision {
            Decision::None => SpfResult::None,
            Decision::Neutral => SpfResult::Neutral,
            Decision::Pass => SpfResult::Pass,
            Decision::SoftFail => SpfResult::SoftFail,
            Decision::Fail => SpfResult::Fail { explanation: v.exp.and_then(|(d, spec)| eval.explain(&d, &spec)) },
        },
        Err(Abort::Temp(e)) => SpfResult::TempError(e),
        Err(Abort::Perm(e)) => SpfResult::PermError(e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
}

impl From<Qualifier> for Decision {
    fn from(q: Qualifier) -> Self {
        match q {
            Qualifier::Pass => Decision::Pass,
            Qualifier::Fail => Decision::Fail,
            Qualifier::SoftFail => Decision::SoftFail,
            Qualifier::Neutral => Decision::Neutral,
        }
    }
}

/// A result plus the `exp=` of the record that produced it (redirect hands
/// over the target's, include discards the included one's; §6.2).
struct Evaluated {
    decision: Decision,
    exp: Option<(String, MacroString)>,
}

struct Evaluator<'a> {
    res: Resolver<'a>,
    req: &'a SpfRequest<'a>,
    ip: IpAddr,
    local: &'a str,
    sender_domain: &'a str,
}

impl Evaluator<'_> {
    /// Fetches and evaluates the record of `domain` (§4.4 - §4.7).
    fn check_domain(&mut self, domain: &str, depth: u32) -> Step<Evaluated> {
        if depth > MAX_DEPTH {
            return Err(Abort::Perm(SpfError::TooDeep(MAX_DEPTH)));
        }
        let none = Evaluated { decision: Decision::None, exp: None };
        let Some(txts) = self.res.txt(domain)? else {
            return Ok(none);
        };
        // §4.5: exactly one "v=spf1" record, else none / permerror.
        let mut spf = txts.iter().filter(|t| is_spf_record(t));
        let Some(text) = spf.next() else {
            return Ok(none);
        };
        if spf.next().is_some() {
            return Err(Abort::Perm(SpfError::MultipleRecords(domain.to_string())));
        }
        let record = Record::parse(text)
            .map_err(|source| Abort::Perm(SpfError::Syntax { domain: domain.to_string(), source }))?;
        self.eval_record(domain, &record, depth)
    }

    fn eval_record(&mut self, domain: &str, record: &Record, depth: u32) -> Step<Evaluated> {
        let exp = record.explanation.as_ref().map(|e| (domain.to_string(), e.clone()));
        for Directive { qualifier, mechanism } in &record.directives {
            if self.matches(domain, mechanism, depth)? {
                return Ok(Evaluated { decision: Decision::from(*qualifier), exp });
            }
        }
        let Some(redirect) = &record.redirect else {
            // §4.7: no match and no redirect is neutral.
            return Ok(Evaluated { decision: Decision::Neutral, exp });
        };
        // §6.1: redirect counts as a lookup; a malformed or policy-less
        // target is permerror, not none.
        self.res.count_lookup()?;
        let target = self.target(domain, Some(redirect));
        let verdict = match &target {
            Some(t) => self.check_domain(t, depth + 1)?,
            None => Evaluated { decision: Decision::None, exp: None },
        };
        if verdict.decision == Decision::None {
            let shown = target.unwrap_or_else(|| self.expand(domain, redirect));
            return Err(Abort::Perm(SpfError::RedirectNone(shown)));
        }
        Ok(verdict)
    }

    /// Whether one mechanism matches (§5).
    fn matches(&mut self, domain: &str, mechanism: &Mechanism, depth: u32) -> Step<bool> {
        if mechanism.queries_dns() {
            self.res.count_lookup()?;
        }
        let ip = self.ip;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { net, prefix } => Ok(matches!(ip, IpAddr::V4(a) if v4_in(a, *net, *prefix))),
            Mechanism::Ip6 { net, prefix } => Ok(matches!(ip, IpAddr::V6(a) if v6_in(a, *net, *prefix))),
            Mechanism::A { domain: spec, cidr } => {
                let Some(name) = self.target(domain, spec.as_ref()) else {
                    return Ok(false);
                };
                let addrs = self.res.term_addresses(&name)?;
                Ok(addrs.iter().any(|a| in_cidr(ip, *a, cidr.v4, cidr.v6)))
            }
            Mechanism::Mx { domain: spec, cidr } => {
                let Some(name) = self.target(domain, spec.as_ref()) else {
                    return Ok(false);
                };
                let addrs = self.res.mx_addresses(&name)?;
                Ok(addrs.iter().any(|a| in_cidr(ip, *a, cidr.v4, cidr.v6)))
            }
            Mechanism::Ptr(spec) => match self.target(domain, spec.as_ref()) {
                Some(name) => self.res.ptr_matches(&name),
                None => Ok(false),
            },
            Mechanism::Exists(spec) => match self.target(domain, Some(spec)) {
                Some(name) => self.res.exists(&name),
                None => Ok(false),
            },
            Mechanism::Include(spec) => {
                // §5.2: pass matches; fail/softfail/neutral do not; none is
                // permerror; errors propagate.
                let target = self.target(domain, Some(spec));
                let decision = match &target {
                    Some(t) => self.check_domain(t, depth + 1)?.decision,
                    None => Decision::None,
                };
                match decision {
                    Decision::Pass => Ok(true),
                    Decision::Fail | Decision::SoftFail | Decision::Neutral => Ok(false),
                    Decision::None => {
                        let shown = target.unwrap_or_else(|| self.expand(domain, spec));
                        Err(Abort::Perm(SpfError::IncludeNone(shown)))
                    }
                }
            }
        }
    }

    /// The query name for a mechanism or modifier: the expanded spec, or
    /// the current domain. `None` if the expansion is not a valid DNS name
    /// (then the term cannot match; §4.3 by analogy, §7.3 truncation).
    fn target(&mut self, domain: &str, spec: Option<&MacroString>) -> Option<String> {
        match spec {
            None => Some(domain.to_string()),
            Some(spec) => to_query_name(&self.expand(domain, spec)),
        }
    }

    fn expand(&mut self, domain: &str, ms: &MacroString) -> String {
        let p = ms.uses_ptr().then(|| self.res.validated_ptr(domain));
        let ctx = MacroContext {
            local_part: self.local,
            sender_domain: self.sender_domain,
            domain,
            ip: self.ip,
            helo: self.req.helo,
            receiver: self.req.receiver,
            timestamp: self.req.timestamp,
            validated_ptr: p.as_deref(),
        };
        ms.expand(&ctx)
    }

    /// The `exp=` text for a fail (§6.2). Any problem (bad name, DNS error,
    /// not exactly one TXT record, non-ASCII, bad macro) means no text. Its
    /// lookups do not count against the limits.
    fn explain(&mut self, domain: &str, spec: &MacroString) -> Option<String> {
        let name = self.target(domain, Some(spec))?;
        let txts = self.res.dns.txt(&name).ok()?;
        let [text] = txts.as_slice() else {
            return None;
        };
        if !text.is_ascii() {
            return None;
        }
        let ms = MacroString::parse(text, MacroMode::Explanation).ok()?;
        Some(self.expand(domain, &ms))
    }
}

/// `a` / `mx` address match with the family's prefix length (§5.3, §5.6).
fn in_cidr(client: IpAddr, addr: IpAddr, v4: u8, v6: u8) -> bool {
    match (client, addr) {
        (IpAddr::V4(c), IpAddr::V4(a)) => v4_in(c, a, v4),
        (IpAddr::V6(c), IpAddr::V6(a)) => v6_in(c, a, v6),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
