//! Domain-name rules: the §7.1 `domain-end` grammar checked at parse time,
//! and the RFC 1035 shape checks applied to names before they are queried
//! (§4.3, §7.3 truncation).

use super::macro_expand::{MacroString, MacroToken};

/// Longest domain name in dotted text form (§7.3).
pub const MAX_NAME_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;

/// `domain-spec = macro-string domain-end` with
/// `domain-end = ( "." toplabel [ "." ] ) / macro-expand` (§7.1).
pub fn has_valid_domain_end(spec: &MacroString) -> bool {
    match spec.tokens().last() {
        Some(MacroToken::Expr(_) | MacroToken::Escape(_)) => true,
        Some(MacroToken::Literal(lit)) => {
            let lit = lit.strip_suffix('.').unwrap_or(lit);
            match lit.rsplit_once('.') {
                Some((_, top)) => is_toplabel(top),
                None => false,
            }
        }
        None => false,
    }
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) /
///             ( 1*alphanum "-" *( alphanum / "-" ) alphanum )` (§7.1).
pub fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    if !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

/// Whether every label is 1..=63 octets and the whole name fits (RFC 1035).
pub fn has_valid_labels(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_NAME_LEN && name.split('.').all(|l| !l.is_empty() && l.len() <= MAX_LABEL_LEN)
}

/// The `<domain>` given to `check_host()` must be a multi-label DNS name,
/// else the result is "none" (§4.3). Domain literals and IP addresses are
/// not domains.
pub fn is_valid_check_domain(domain: &str) -> bool {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    let top_is_numeric = name.rsplit('.').next().is_some_and(|top| top.bytes().all(|b| b.is_ascii_digit()));
    has_valid_labels(name)
        && name.contains('.')
        && !name.starts_with('[')
        && name.bytes().all(|b| b.is_ascii_graphic())
        && !top_is_numeric
}

/// Turns an expanded domain-spec into a query name: drops one trailing dot,
/// removes leading labels while longer than 253 octets (§7.3), and returns
/// `None` when the result still is not a valid DNS name (treated like a
/// non-existent domain, by analogy with §4.3).
pub fn to_query_name(expanded: &str) -> Option<String> {
    let mut name = expanded.strip_suffix('.').unwrap_or(expanded);
    while name.len() > MAX_NAME_LEN {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    has_valid_labels(name).then(|| name.to_string())
}

/// `name` equals `parent` or is a subdomain of it, ignoring ASCII case
/// (the "ptr" match of §5.5).
pub fn is_same_or_subdomain(name: &str, parent: &str) -> bool {
    let (n, p) = (name.as_bytes(), parent.as_bytes());
    if n.eq_ignore_ascii_case(p) {
        return true;
    }
    let Some(cut) = n.len().checked_sub(p.len() + 1) else {
        return false;
    };
    n.get(cut) == Some(&b'.') && n.get(cut + 1..).is_some_and(|tail| tail.eq_ignore_ascii_case(p))
}

#[cfg(test)]
mod tests {
    use super::super::macro_expand::MacroMode;
    use super::*;

    fn end_ok(spec: &str) -> bool {
        has_valid_domain_end(&MacroString::parse(spec, MacroMode::Domain).unwrap())
    }

    #[test]
    fn domain_end() {
        for good in ["a.example.com", "a.example.com.", "%{d}", "x.%{d2}", "foo.xn--zckzah", "a.1-2", "%{d}%%"] {
            assert!(end_ok(good), "{good}");
        }
        for bad in
            ["museum", "museum.", "foo-bar", "a.123", "a.-com", "a.com-", "x.com:8080", "%{d}.", "%{d}com", "a.com/24"]
        {
            assert!(!end_ok(bad), "{bad}");
        }
    }

    #[test]
    fn check_domain_shapes() {
        assert!(is_valid_check_domain("mail.example.com."));
        assert!(!is_valid_check_domain("A2345678"));
        assert!(!is_valid_check_domain("[1.2.3.5]"));
        assert!(!is_valid_check_domain("1.2.3.5"));
        assert!(!is_valid_check_domain("a...example.com"));
        assert!(!is_valid_check_domain(&format!("{}.example.com", "a".repeat(64))));
        assert!(is_valid_check_domain(&format!("{}.example.com", "a".repeat(63))));
    }

    #[test]
    fn query_names_are_truncated_from_the_left() {
        let long = format!("{}.example.com", ["label"; 60].join("."));
        let name = to_query_name(&long).unwrap();
        assert!(name.len() <= MAX_NAME_LEN && name.ends_with("label.example.com"));
        assert_eq!(to_query_name("x.example.com.").as_deref(), Some("x.example.com"));
        assert_eq!(to_query_name("mail.example...com"), None);
        assert_eq!(to_query_name(""), None);
        assert_eq!(to_query_name("."), None);
    }

    #[test]
    fn subdomain_match() {
        assert!(is_same_or_subdomain("mail.Example.com", "example.COM"));
        assert!(is_same_or_subdomain("example.com", "example.com"));
        assert!(!is_same_or_subdomain("badexample.com", "example.com"));
        assert!(!is_same_or_subdomain("com", "example.com"));
        assert!(!is_same_or_subdomain("é.example.com", "xample.com"));
    }
}
