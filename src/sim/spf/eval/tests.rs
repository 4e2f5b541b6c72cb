//! Evaluator checks the suite does not cover: request fields (%{r}, %{t}),
//! the HELO helper, error reasons, and DNS query accounting.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::super::DnsError;
use super::*;

/// TXT and A records only; everything else is "no data". Counts queries.
#[derive(Default)]
struct TinyDns {
    txt: HashMap<&'static str, Vec<&'static str>>,
    a: HashMap<&'static str, Vec<Ipv4Addr>>,
    queries: usize,
}

impl SpfDns for TinyDns {
    fn txt(&mut self, name: &str) -> Result<Vec<String>, DnsError> {
        self.queries += 1;
        match self.txt.get(name) {
            Some(v) => Ok(v.iter().map(|s| s.to_string()).collect()),
            None if self.a.contains_key(name) => Ok(Vec::new()),
            None => Err(DnsError::NxDomain),
        }
    }
    fn a(&mut self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        self.queries += 1;
        if name == "slow.example" {
            return Err(DnsError::Timeout);
        }
        self.a.get(name).cloned().ok_or(DnsError::NxDomain)
    }
    fn aaaa(&mut self, _: &str) -> Result<Vec<Ipv6Addr>, DnsError> {
        self.queries += 1;
        Ok(Vec::new())
    }
    fn mx(&mut self, _: &str) -> Result<Vec<(u16, String)>, DnsError> {
        self.queries += 1;
        Ok(Vec::new())
    }
    fn ptr(&mut self, _: IpAddr) -> Result<Vec<String>, DnsError> {
        self.queries += 1;
        Err(DnsError::NxDomain)
    }
}

fn dns(records: &[(&'static str, &'static str)]) -> TinyDns {
    let mut d = TinyDns::default();
    for (name, text) in records {
        d.txt.entry(name).or_default().push(text);
    }
    d.a.insert("mail.example.com", vec![Ipv4Addr::new(192, 0, 2, 10)]);
    d
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test ip")
}

#[test]
fn explanation_uses_receiver_and_timestamp() {
    let mut d = dns(&[
        ("example.com", "v=spf1 a:mail.example.com -all exp=why.example.com"),
        ("why.example.com", "%{c} refused by %{r} at %{t} for %{s}"),
    ]);
    let mut req = SpfRequest::new(ip("192.0.2.99"), "example.com", "joe@example.com", "h.example");
    req.receiver = "mx.example.net";
    req.timestamp = 42;
    let r = check_host_with(&mut d, &req);
    assert_eq!(r.explanation(), Some("192.0.2.99 refused by mx.example.net at 42 for joe@example.com"));
    req.ip = ip("::ffff:192.0.2.10"); // IPv4-mapped is IPv4 (§5)
    assert_eq!(check_host_with(&mut d, &req), SpfResult::Pass);
}

#[test]
fn helo_identity_and_empty_mail_from() {
    let mut d = dns(&[("mail.example.com", "v=spf1 a -all")]);
    assert_eq!(check_helo(&mut d, ip("192.0.2.10"), "mail.example.com"), SpfResult::Pass);
    let r = check_mail_from(&mut d, ip("192.0.2.11"), "", "mail.example.com");
    assert_eq!(r, SpfResult::Fail { explanation: None });
    assert_eq!(check_helo(&mut d, ip("192.0.2.10"), "[192.0.2.10]"), SpfResult::None);
}

#[test]
fn error_reasons_are_typed() {
    let mut d = dns(&[
        ("loop.example", "v=spf1 include:loop.example"),
        ("slow.test", "v=spf1 a:slow.example -all"),
        ("bad.example", "v=spf1 a:museum -all"),
        ("two.example", "v=spf1 -all"),
        ("two.example", "v=spf1 +all"),
    ]);
    let c = ip("192.0.2.1");
    let check = |d: &mut TinyDns, domain: &str| check_host(d, c, domain, "x@y.example", "h");
    assert_eq!(check(&mut d, "loop.example"), SpfResult::PermError(SpfError::TooManyLookups(10)));
    assert!(matches!(check(&mut d, "slow.test"), SpfResult::TempError(SpfError::Dns { kind: DnsError::Timeout, .. })));
    assert!(matches!(check(&mut d, "bad.example"), SpfResult::PermError(SpfError::Syntax { .. })));
    assert_eq!(check(&mut d, "two.example"), SpfResult::PermError(SpfError::MultipleRecords("two.example".into())));
    assert_eq!(check(&mut d, "nothing.example"), SpfResult::None);
}

#[test]
fn a_malformed_domain_costs_no_query() {
    let mut d = dns(&[]);
    assert_eq!(check_host(&mut d, ip("192.0.2.1"), "a..example", "", "h"), SpfResult::None);
    assert_eq!(d.queries, 0);
}
