//! Macro parsing and expansion checks, mostly the RFC 7208 §7.4 examples.

use super::*;

fn ctx(ip: &str) -> MacroContext<'static> {
    MacroContext {
        local_part: "strong-bad",
        sender_domain: "email.example.com",
        domain: "email.example.com",
        ip: ip.parse().expect("test ip"),
        helo: "mx.example.org",
        receiver: "mx.example.net",
        timestamp: 1_700_000_000,
        validated_ptr: None,
    }
}

fn expand(text: &str, mode: MacroMode, ip: &str) -> String {
    MacroString::parse(text, mode).expect(text).expand(&ctx(ip))
}

#[test]
fn rfc7208_section_7_4_examples() {
    let cases = [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ];
    for (text, want) in cases {
        assert_eq!(expand(text, MacroMode::Domain, "192.0.2.3"), want, "{text}");
    }
}

#[test]
fn ipv6_nibbles() {
    let got = expand("%{ir}.%{v}._spf.%{d2}", MacroMode::Domain, "2001:db8::cb01");
    // The RFC prints lowercase nibbles; we emit uppercase (see dotted_ip).
    assert_eq!(
        got.to_ascii_lowercase(),
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    );
}

#[test]
fn escapes_and_url_encoding() {
    assert_eq!(expand("a%%b%_c%-d", MacroMode::Domain, "192.0.2.3"), "a%b c%20d");
    let mut c = ctx("192.0.2.3");
    c.local_part = "~jack&jill=up-a_b3.c";
    let ms = MacroString::parse("%{L}", MacroMode::Explanation).unwrap();
    assert_eq!(ms.expand(&c), "~jack%26jill%3Dup-a_b3.c");
}

#[test]
fn explanation_only_letters() {
    let text = "%{c} %{r} %{t}";
    assert_eq!(expand(text, MacroMode::Explanation, "192.0.2.3"), "192.0.2.3 mx.example.net 1700000000");
    assert_eq!(MacroString::parse("%{c}.example.com", MacroMode::Domain), Err(MacroError::ExpOnlyLetter('c')));
    assert!(MacroString::parse("x=%{r}", MacroMode::Modifier).is_ok());
}

#[test]
fn multiple_delimiters_and_large_counts() {
    let mut c = ctx("192.0.2.3");
    c.local_part = "foo-bar+zip+quux";
    let ms = MacroString::parse("%{l2r+-}", MacroMode::Domain).unwrap();
    assert_eq!(ms.expand(&c), "bar.foo");
    let ms = MacroString::parse("%{d99999999999999999999}", MacroMode::Domain).unwrap();
    assert_eq!(ms.expand(&c), "email.example.com");
}

#[test]
fn syntax_errors() {
    let bad = [
        ("%(ir).x", MacroError::BadPercent(0)),
        ("foo%", MacroError::BadPercent(3)),
        ("%{d", MacroError::Unterminated(0)),
        ("%{x}", MacroError::UnknownLetter('x')),
        ("%{}", MacroError::BadTransformer(String::new())),
        ("%{d0}", MacroError::BadTransformer("d0".into())),
        ("%{d2x}", MacroError::BadTransformer("d2x".into())),
        ("a b", MacroError::BadChar(' ')),
        ("tab\there", MacroError::BadChar('\t')),
        ("é", MacroError::BadChar('é')),
    ];
    for (text, want) in bad {
        assert_eq!(MacroString::parse(text, MacroMode::Domain), Err(want), "{text}");
    }
    assert!(MacroString::parse("two  spaces", MacroMode::Explanation).is_ok());
    assert!(MacroString::parse("%{é}", MacroMode::Explanation).is_err());
}

#[test]
fn ptr_usage_and_unknown_default() {
    let ms = MacroString::parse("%{p}.x.example", MacroMode::Domain).unwrap();
    assert!(ms.uses_ptr());
    assert_eq!(ms.expand(&ctx("192.0.2.3")), "unknown.x.example");
}
