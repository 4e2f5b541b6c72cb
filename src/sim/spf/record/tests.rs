//! Parser checks beyond the RFC 7208 suite: structure of good records and
//! the error kind of bad ones, plus a no-panic sweep over odd inputs.

use super::*;

fn parse(text: &str) -> Result<Record, ParseError> {
    Record::parse(text)
}

#[test]
fn selects_only_version_1_records() {
    assert!(is_spf_record("v=spf1"));
    assert!(is_spf_record("V=SpF1 -all"));
    assert!(!is_spf_record("v=spf10"));
    assert!(!is_spf_record("v=spf1mx"));
    assert!(!is_spf_record("v=spf"));
    assert!(!is_spf_record("v=spf1\t-all"));
    assert!(!is_spf_record("é=spf1 -all"));
}

#[test]
fn parses_a_full_record() {
    let r = parse("v=spf1  +a mx/24//64 -ptr:Example.com ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 include:_spf.%{d2} exists:%{ir}.bl.example.org redirect=other.example exp=why.%{d} x-foo=%{h} -all ")
        .unwrap();
    assert_eq!(r.directives.len(), 8);
    assert_eq!(r.directives[0].qualifier, Qualifier::Pass);
    assert_eq!(r.directives[1].mechanism, Mechanism::Mx { domain: None, cidr: DualCidr { v4: 24, v6: 64 } });
    assert_eq!(r.directives[2].qualifier, Qualifier::Fail);
    assert_eq!(r.directives[3].qualifier, Qualifier::SoftFail);
    assert_eq!(r.directives[3].mechanism, Mechanism::Ip4 { net: "192.0.2.0".parse().unwrap(), prefix: 24 });
    assert_eq!(r.directives[4].qualifier, Qualifier::Neutral);
    assert_eq!(r.directives[7].mechanism, Mechanism::All);
    assert!(r.redirect.is_some() && r.explanation.is_some());
    assert_eq!(r.unknown_modifiers.len(), 1);
    assert_eq!(r.unknown_modifiers[0].0, "x-foo");
}

#[test]
fn names_are_case_insensitive() {
    let r = parse("v=spf1 A:Example.COM IP4:192.0.2.1 Redirect=x.example").unwrap();
    assert_eq!(r.directives.len(), 2);
    assert!(r.redirect.is_some());
}

#[test]
fn a_with_colon_and_slash_in_domain() {
    let r = parse("v=spf1 a:foo:bar/baz.example.com").unwrap();
    assert!(matches!(
        &r.directives[0].mechanism,
        Mechanism::A { domain: Some(_), cidr } if *cidr == DualCidr::default()
    ));
}

#[test]
fn syntax_errors() {
    use ParseError as E;
    type Check = fn(&ParseError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("v=spf1 -all moo", |e| matches!(e, E::UnknownMechanism(_))),
        ("v=spf1 -all.", |e| matches!(e, E::UnknownMechanism(_))),
        ("v=spf1 -all:foo", |e| matches!(e, E::UnexpectedArgument(_))),
        ("v=spf1 -all/8", |e| matches!(e, E::UnexpectedArgument(_))),
        ("v=spf1 redirect:x.example.com", |e| matches!(e, E::UnknownMechanism(_))),
        ("v=spf1 1up=foo", |e| matches!(e, E::InvalidModifierName(_))),
        ("v=spf1 =all", |e| matches!(e, E::InvalidModifierName(_))),
        ("v=spf1 exp=", |e| matches!(e, E::MissingDomain(_))),
        ("v=spf1 exp=a.example exp=b.example", |e| *e == E::DuplicateModifier("exp")),
        ("v=spf1 redirect=a.example redirect=a.example", |e| *e == E::DuplicateModifier("redirect")),
        ("v=spf1 exp=%{r}.example.com", |e| matches!(e, E::Macro { .. })),
        ("v=spf1 foo=%abc", |e| matches!(e, E::Macro { .. })),
        ("v=spf1 a:museum", |e| matches!(e, E::InvalidDomainSpec(_))),
        ("v=spf1 a:111.222.33.44", |e| matches!(e, E::InvalidDomainSpec(_))),
        ("v=spf1 a:", |e| matches!(e, E::MissingDomain(_))),
        ("v=spf1 a/33", |e| matches!(e, E::InvalidCidr(_))),
        ("v=spf1 a/24/64", |e| matches!(e, E::InvalidCidr(_))),
        ("v=spf1 ptr/0", |e| matches!(e, E::UnexpectedArgument(_))),
        ("v=spf1 include", |e| matches!(e, E::MissingDomain(_))),
        ("v=spf1 exists:x.example.com/24", |e| matches!(e, E::InvalidDomainSpec(_))),
        ("v=spf1 ip4", |e| matches!(e, E::MissingDomain(_))),
        ("v=spf1 ip4:1.2.3", |e| matches!(e, E::InvalidIp4(_))),
        ("v=spf1 ip4:1.2.03.4", |e| matches!(e, E::InvalidIp4(_))),
        ("v=spf1 ip4:1.2.3.4//32", |e| matches!(e, E::InvalidCidr(_))),
        ("v=spf1 ip4:1.2.3.4/032", |e| matches!(e, E::InvalidCidr(_))),
        ("v=spf1 ip6::CAFE::BABE", |e| matches!(e, E::InvalidIp6(_))),
        ("v=spf1 ip6:::1/129", |e| matches!(e, E::InvalidCidr(_))),
        ("v=spf1 a:x.example.com\0", |e| matches!(e, E::Macro { .. })),
        ("v=spf1 a:x.example.com\rptr", |e| matches!(e, E::Macro { .. })),
        ("v=spf1 \u{80}a", |e| *e == E::NonAscii),
        ("v=spf1 -", |e| matches!(e, E::UnknownMechanism(_))),
    ];
    for (text, check) in cases {
        let err = parse(text).expect_err(text);
        assert!(check(&err), "{text:?} gave {err:?}");
    }
}

#[test]
fn never_panics_on_odd_input() {
    let pieces = [
        "a", "mx", "ptr", "ip4", "ip6", "include", "exists", "all", "redirect", "exp", ":", "/", "//", "=", "%", "%{",
        "}", "%{d", "0", "32", "129", ".", "é", "\u{0}", "-", "+", "~", "?", " ", "::", "1.2.3.4", "%{ir}",
    ];
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let _ = parse(&format!("v=spf1 {a}{b}{c}"));
            }
        }
    }
}
