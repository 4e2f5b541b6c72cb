//! Runs the public RFC 7208 test suite (openspf.org release, pySPF copy,
//! vendored in tests/data/spf/ with its licence; see SOURCE.md there) against
//! the evaluator. Each scenario's
//! `zonedata` is served by an in-memory DNS that mimics pySPF's test driver:
//! type-SPF records are copied to TXT only when the name has no TXT record,
//! a TXT value of `NONE` is not served, and the `TIMEOUT` pseudo-record makes
//! a lookup time out unless a record of the queried type precedes it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use relaysim::sim::spf::{DnsError, SpfDns, SpfResult, check_mail_from, reverse_name};
use serde::Deserialize;
use serde_norway::Value;

/// Relative to the crate root.
const SUITE: &str = "tests/data/spf/rfc7208-tests.yml";
const EXPECTED_CASES: usize = 203;
/// Cases not run, as (name, reason). Empty: every case is run.
const EXCLUDED: &[(&str, &str)] = &[];
/// CNAME chain bound; longer chains (loops) answer SERVFAIL.
const MAX_CNAME_HOPS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Txt,
    A,
    Aaaa,
    Mx,
    Ptr,
    Cname,
}

#[derive(Debug, Clone)]
enum Rr {
    Txt(String),
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Mx(u16, String),
    Ptr(String),
    Cname(String),
}

impl Rr {
    fn kind(&self) -> Kind {
        match self {
            Rr::Txt(_) => Kind::Txt,
            Rr::A(_) => Kind::A,
            Rr::Aaaa(_) => Kind::Aaaa,
            Rr::Mx(..) => Kind::Mx,
            Rr::Ptr(_) => Kind::Ptr,
            Rr::Cname(_) => Kind::Cname,
        }
    }
}

#[derive(Debug, Clone)]
enum Entry {
    Record(Rr),
    Timeout,
}

struct ZoneDns {
    names: HashMap<String, Vec<Entry>>,
}

fn key(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

impl ZoneDns {
    fn from_yaml(zonedata: &Value) -> Self {
        let mut names = HashMap::new();
        let Some(map) = zonedata.as_mapping() else {
            return ZoneDns { names };
        };
        for (name, records) in map {
            let mut entries = Vec::new();
            let mut has_txt = false;
            let mut spf_copies = Vec::new();
            for item in records.as_sequence().expect("record list") {
                if item.as_str() == Some("TIMEOUT") {
                    entries.push(Entry::Timeout);
                    continue;
                }
                let (rtype, value) = item.as_mapping().and_then(|m| m.iter().next()).expect("record map");
                let rr = match rtype.as_str().expect("record type") {
                    "TXT" => {
                        has_txt = true;
                        let text = txt_value(value);
                        if text == "NONE" {
                            continue;
                        }
                        Rr::Txt(text)
                    }
                    "SPF" => {
                        spf_copies.push(Entry::Record(Rr::Txt(txt_value(value))));
                        continue; // type SPF itself is never queried (RFC 7208 §3.1)
                    }
                    "A" => Rr::A(scalar(value).parse().expect("A")),
                    "AAAA" => Rr::Aaaa(scalar(value).parse().expect("AAAA")),
                    "MX" => {
                        let pair = value.as_sequence().expect("MX pair");
                        let pref = pair[0].as_u64().expect("MX preference");
                        Rr::Mx(u16::try_from(pref).expect("u16"), scalar(&pair[1]))
                    }
                    "PTR" => Rr::Ptr(scalar(value)),
                    "CNAME" => Rr::Cname(scalar(value)),
                    other => panic!("unknown record type {other}"),
                };
                entries.push(Entry::Record(rr));
            }
            if !has_txt {
                entries.extend(spf_copies);
            }
            names.insert(key(&scalar(name)), entries);
        }
        ZoneDns { names }
    }

    fn lookup(&self, name: &str, kind: Kind) -> Result<Vec<Rr>, DnsError> {
        let mut name = key(name);
        for _ in 0..MAX_CNAME_HOPS {
            let entries = self.names.get(&name).ok_or(DnsError::NxDomain)?;
            let mut found = Vec::new();
            let mut cname = None;
            for entry in entries {
                match entry {
                    Entry::Timeout if found.is_empty() => return Err(DnsError::Timeout),
                    Entry::Timeout => break,
                    Entry::Record(rr) if rr.kind() == kind => found.push(rr.clone()),
                    Entry::Record(Rr::Cname(target)) => cname = Some(target),
                    Entry::Record(_) => {}
                }
            }
            match cname {
                Some(target) if found.is_empty() => name = key(target),
                _ => return Ok(found),
            }
        }
        Err(DnsError::ServFail)
    }
}

impl SpfDns for ZoneDns {
    fn txt(&mut self, name: &str) -> Result<Vec<String>, DnsError> {
        let rrs = self.lookup(name, Kind::Txt)?;
        Ok(rrs.into_iter().filter_map(|r| if let Rr::Txt(t) = r { Some(t) } else { None }).collect())
    }
    fn a(&mut self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        let rrs = self.lookup(name, Kind::A)?;
        Ok(rrs.into_iter().filter_map(|r| if let Rr::A(a) = r { Some(a) } else { None }).collect())
    }
    fn aaaa(&mut self, name: &str) -> Result<Vec<Ipv6Addr>, DnsError> {
        let rrs = self.lookup(name, Kind::Aaaa)?;
        Ok(rrs.into_iter().filter_map(|r| if let Rr::Aaaa(a) = r { Some(a) } else { None }).collect())
    }
    fn mx(&mut self, name: &str) -> Result<Vec<(u16, String)>, DnsError> {
        let rrs = self.lookup(name, Kind::Mx)?;
        Ok(rrs.into_iter().filter_map(|r| if let Rr::Mx(p, h) = r { Some((p, h)) } else { None }).collect())
    }
    fn ptr(&mut self, ip: IpAddr) -> Result<Vec<String>, DnsError> {
        let rrs = self.lookup(&reverse_name(ip), Kind::Ptr)?;
        Ok(rrs.into_iter().filter_map(|r| if let Rr::Ptr(p) = r { Some(p) } else { None }).collect())
    }
}

/// A TXT/SPF value: one string, or a list of strings glued together.
fn txt_value(v: &Value) -> String {
    match v {
        Value::Sequence(parts) => parts.iter().map(scalar).collect(),
        other => scalar(other),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

fn field(case: &Value, name: &str) -> Option<String> {
    case.get(name).map(scalar)
}

/// Expected results: one value or a list of acceptable ones.
fn expected_results(case: &Value) -> Vec<String> {
    match case.get("result").expect("result") {
        Value::Sequence(list) => list.iter().map(scalar).collect(),
        one => vec![scalar(one)],
    }
}

/// Checks one case; `Err` describes the mismatch, `Ok(Some(..))` notes an
/// accepted result that is not the suite's preferred (first) one.
fn run_case(dns: &mut ZoneDns, case: &Value) -> Result<Option<String>, String> {
    let host = field(case, "host").expect("host");
    let ip: IpAddr = host.parse().map_err(|e| format!("bad host {host}: {e}"))?;
    let mailfrom = field(case, "mailfrom").unwrap_or_default();
    let helo = field(case, "helo").unwrap_or_default();
    let got = check_mail_from(dns, ip, &mailfrom, &helo);
    let want = expected_results(case);
    if !want.iter().any(|w| w == got.as_str()) {
        return Err(format!("expected {want:?}, got {got:?}"));
    }
    if let Some(exp) = field(case, "explanation") {
        // "DEFAULT" stands for the implementation's default explanation,
        // which is ours when no exp= text could be used.
        let got_exp = match &got {
            SpfResult::Fail { explanation } => explanation.clone().unwrap_or_else(|| "DEFAULT".into()),
            _ => "DEFAULT".into(),
        };
        if got_exp != exp {
            return Err(format!("explanation: expected {exp:?}, got {got_exp:?}"));
        }
    }
    Ok(want.first().filter(|w| *w != got.as_str()).map(|w| format!("{} accepted, {w} preferred", got.as_str())))
}

#[test]
fn rfc7208_suite() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SUITE);
    // Part of the package: a missing suite is a failure, never a skip.
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut passed, mut failures, mut excluded, mut total) = (0, Vec::new(), 0, 0);
    for doc in serde_norway::Deserializer::from_str(&text) {
        let scenario = Value::deserialize(doc).expect("YAML document");
        let Some(tests) = scenario.get("tests").and_then(Value::as_mapping) else {
            continue;
        };
        let mut dns = ZoneDns::from_yaml(scenario.get("zonedata").unwrap_or(&Value::Null));
        let description = scenario.get("description").map(scalar).unwrap_or_default();
        for (name, case) in tests {
            let name = scalar(name);
            total += 1;
            if EXCLUDED.iter().any(|(n, _)| *n == name) {
                excluded += 1;
                continue;
            }
            match run_case(&mut dns, case) {
                Ok(note) => {
                    passed += 1;
                    if let Some(note) = note {
                        println!("NOTE {name}: {note}");
                    }
                }
                Err(why) => failures.push(format!("{name} ({description}): {why}")),
            }
        }
    }
    for f in &failures {
        println!("FAILED {f}");
    }
    for (name, reason) in EXCLUDED {
        println!("EXCLUDED {name}: {reason}");
    }
    println!("spf suite: {passed} passed, {} failed, {excluded} skipped", failures.len());
    assert_eq!(total, EXPECTED_CASES, "suite size changed");
    assert!(failures.is_empty(), "{} suite case(s) failed", failures.len());
}
