//! The SPF code promises never to panic on what a scenario file can hold:
//! random records and random macro strings are parsed, expanded and
//! evaluated here, and each must give a result (any result) without a panic.
//!
//! Inputs are drawn from SPF's own vocabulary (mechanisms, qualifiers,
//! modifiers, macro letters, CIDR lengths) mixed with arbitrary characters,
//! so most cases get past the first token and reach the deeper code.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use relaysim::sim::spf::{DnsError, MacroContext, MacroMode, MacroString, Record, SpfDns, check_mail_from};

/// A DNS where every name has the record under test as its TXT record, an A
/// record, an MX and a PTR: evaluation follows includes and redirects as far
/// as the lookup limits let it.
struct EchoDns {
    record: String,
}

impl SpfDns for EchoDns {
    fn txt(&mut self, name: &str) -> Result<Vec<String>, DnsError> {
        if name.starts_with("void") { Err(DnsError::NxDomain) } else { Ok(vec![self.record.clone()]) }
    }
    fn a(&mut self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError> {
        if name.starts_with("slow") { Err(DnsError::Timeout) } else { Ok(vec![Ipv4Addr::new(192, 0, 2, 1)]) }
    }
    fn aaaa(&mut self, _: &str) -> Result<Vec<Ipv6Addr>, DnsError> {
        Ok(vec![])
    }
    fn mx(&mut self, name: &str) -> Result<Vec<(u16, String)>, DnsError> {
        Ok(vec![(10, format!("mx.{name}"))])
    }
    fn ptr(&mut self, _: IpAddr) -> Result<Vec<String>, DnsError> {
        Ok(vec!["host.example.com".into()])
    }
}

/// A piece of a macro string: a literal, an escape or a macro expression.
fn macro_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z.\\-]{0,6}",
        Just("%%".to_string()),
        Just("%_".to_string()),
        Just("%-".to_string()),
        Just("%".to_string()),
        ("[slodiphcrtvSLODIPHCRTVxz]", "[0-9]{0,3}", "r?", "[.\\-+,/_=]{0,3}")
            .prop_map(|(l, n, r, d)| format!("%{{{l}{n}{r}{d}}}")),
        "%\\{[^}]{0,5}\\}?",
        any::<char>().prop_map(String::from),
    ]
}

fn macro_string() -> impl Strategy<Value = String> {
    prop::collection::vec(macro_piece(), 0..6).prop_map(|v| v.concat())
}

/// One term of a record: a mechanism with qualifier, target and CIDR, or a modifier.
fn term() -> impl Strategy<Value = String> {
    let qualifier = prop_oneof![Just(""), Just("+"), Just("-"), Just("~"), Just("?"), Just("!")];
    let mechanism = prop_oneof![
        Just("all"),
        Just("include"),
        Just("a"),
        Just("mx"),
        Just("ptr"),
        Just("ip4"),
        Just("ip6"),
        Just("exists"),
        Just("redirect"),
        Just("exp"),
        Just("unknown-mod"),
    ];
    let target = prop_oneof![
        Just(String::new()),
        macro_string().prop_map(|m| format!(":{m}")),
        macro_string().prop_map(|m| format!("={m}")),
        Just(":example.com".to_string()),
        Just(":void.example".to_string()),
        Just(":slow.example".to_string()),
        Just(":192.0.2.0".to_string()),
        Just(":2001:db8::1".to_string()),
        "[:=][0-9.:a-f]{0,16}",
    ];
    let cidr = prop_oneof![Just(String::new()), "/[0-9]{0,4}", "//[0-9]{0,4}", "/[0-9]{1,3}//[0-9]{1,4}"];
    (qualifier, mechanism, target, cidr).prop_map(|(q, m, t, c)| format!("{q}{m}{t}{c}"))
}

fn record() -> impl Strategy<Value = String> {
    let version = prop_oneof![Just("v=spf1"), Just("V=SPF1"), Just("v=spf10"), Just("")];
    let separator = prop_oneof![Just(" "), Just("  "), Just("\t"), Just("")];
    (version, prop::collection::vec((separator, term()), 0..8), any::<bool>()).prop_map(|(v, terms, trailing)| {
        let mut r = v.to_string();
        for (s, t) in terms {
            r.push_str(s);
            r.push_str(&t);
        }
        if trailing {
            r.push(' ');
        }
        r
    })
}

fn ctx<'a>(ip: IpAddr) -> MacroContext<'a> {
    MacroContext {
        local_part: "strong-bad",
        sender_domain: "email.example.com",
        domain: "email.example.com",
        ip,
        helo: "mx.example.org",
        receiver: "mx.example.net",
        timestamp: 1_700_000_000,
        validated_ptr: None,
    }
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
        any::<[u8; 16]>().prop_map(|o| IpAddr::V6(Ipv6Addr::from(o))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn records_from_spf_words_never_panic(text in record(), ip in ip(), from in "[a-z%{}.@\\-]{0,20}") {
        let _ = Record::parse(&text);
        let mut dns = EchoDns { record: text };
        let _ = check_mail_from(&mut dns, ip, &from, "mx.example.org");
    }

    #[test]
    fn arbitrary_text_never_panics(text in "v=spf1 \\PC{0,40}", raw in "\\PC{0,40}", ip in ip()) {
        let _ = Record::parse(&text);
        let _ = Record::parse(&raw);
        let mut dns = EchoDns { record: text };
        let _ = check_mail_from(&mut dns, ip, "user@example.com", "mx.example.org");
    }

    #[test]
    fn macro_strings_never_panic(text in macro_string(), ip in ip()) {
        for mode in [MacroMode::Domain, MacroMode::Modifier, MacroMode::Explanation] {
            if let Ok(m) = MacroString::parse(&text, mode) {
                let _ = m.expand(&ctx(ip));
            }
        }
    }
}
