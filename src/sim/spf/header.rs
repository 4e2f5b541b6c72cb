//! Trace headers for a finished check: `Received-SPF` (RFC 7208 §9.1) and
//! the `spf` method of `Authentication-Results` (RFC 8601 §2.7.2). Values
//! come from scenario files, so they are quoted and stripped of control
//! characters to keep each header on one line.

use std::net::IpAddr;

use super::cidr::unmap;
use super::result::SpfResult;

/// A one-line `Received-SPF:` header (no trailing CRLF). An empty `sender`
/// means the HELO identity was checked (`identity=helo`).
pub fn received_spf_header(result: &SpfResult, ip: IpAddr, sender: &str, helo: &str, receiver: &str) -> String {
    let ip = unmap(ip);
    let helo_identity = sender.is_empty();
    let who = if helo_identity { helo } else { sender };
    let comment = match result {
        SpfResult::Pass => format!("domain of {who} designates {ip} as permitted sender"),
        SpfResult::Fail { .. } => {
            format!("domain of {who} does not designate {ip} as permitted sender")
        }
        SpfResult::SoftFail => {
            format!("domain of transitioning {who} does not designate {ip} as permitted sender")
        }
        SpfResult::Neutral => format!("{ip} is neither permitted nor denied by domain of {who}"),
        SpfResult::None => format!("domain of {who} does not designate permitted sender hosts"),
        SpfResult::TempError(_) => format!("temporary error in processing during lookup of {who}"),
        SpfResult::PermError(e) => format!("permanent error in processing domain of {who}: {e}"),
    };
    let mut pairs = vec![("client-ip", ip.to_string())];
    if !helo_identity {
        pairs.push(("envelope-from", sender.to_string()));
    }
    pairs.push(("helo", helo.to_string()));
    pairs.push(("receiver", receiver.to_string()));
    if let Some(problem) = result.problem() {
        pairs.push(("problem", problem.to_string()));
    }
    pairs.push(("identity", if helo_identity { "helo" } else { "mailfrom" }.to_string()));
    let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", quote_value(v))).collect();
    format!(
        "Received-SPF: {} ({}: {}) {}",
        result.as_str(),
        comment_text(receiver),
        comment_text(&comment),
        pairs.join("; ")
    )
}

/// `spf=<result> smtp.mailfrom=<domain>` for an `Authentication-Results`
/// header (RFC 8601 §2.7.2).
pub fn authentication_results_fragment(result: &SpfResult, sender_domain: &str) -> String {
    format!("spf={} smtp.mailfrom={}", result.as_str(), quote_value(sender_domain))
}

/// `spf=<result> smtp.helo=<name>` when the HELO identity was checked.
pub fn authentication_results_fragment_helo(result: &SpfResult, helo: &str) -> String {
    format!("spf={} smtp.helo={}", result.as_str(), quote_value(helo))
}

/// `atext` of RFC 5322 §3.2.3.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// A dot-atom as is, anything else as a quoted-string (RFC 7208 §9.1).
fn quote_value(v: &str) -> String {
    let dot_atom = !v.is_empty() && v.split('.').all(|atom| !atom.is_empty() && atom.chars().all(is_atext));
    if dot_atom {
        return v.to_string();
    }
    let mut out = String::from("\"");
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe inside a `( comment )`: parentheses and backslashes escaped,
/// control characters replaced.
fn comment_text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::SpfError;
    use super::*;

    #[test]
    fn received_spf_pass() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let h = received_spf_header(&SpfResult::Pass, ip, "myname@example.com", "foo.example.com", "mybox.example.org");
        assert_eq!(
            h,
            "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates \
             192.0.2.1 as permitted sender) client-ip=192.0.2.1; \
             envelope-from=\"myname@example.com\"; helo=foo.example.com; \
             receiver=mybox.example.org; identity=mailfrom"
        );
    }

    #[test]
    fn received_spf_helo_error_and_hostile_values() {
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let r = SpfResult::PermError(SpfError::MultipleRecords("x.example".into()));
        let h = received_spf_header(&r, ip, "", "evil\r\nX-Injected: (yes)", "mx\"1");
        assert!(!h.contains('\r') && !h.contains('\n'), "{h}");
        assert!(h.starts_with("Received-SPF: permerror (mx\"1: permanent error"));
        assert!(h.contains("client-ip=\"2001:db8::1\""));
        assert!(h.contains("receiver=\"mx\\\"1\""));
        assert!(h.contains("\\(yes\\)"));
        assert!(h.contains("problem=\"x.example publishes more than one v=spf1 record\""));
        assert!(h.ends_with("identity=helo"));
        assert!(!h.contains("envelope-from"));
    }

    #[test]
    fn authentication_results() {
        assert_eq!(
            authentication_results_fragment(&SpfResult::Pass, "example.net"),
            "spf=pass smtp.mailfrom=example.net"
        );
        let fail = SpfResult::Fail { explanation: None };
        assert_eq!(authentication_results_fragment_helo(&fail, "[192.0.2.1]"), "spf=fail smtp.helo=\"[192.0.2.1]\"");
    }
}
