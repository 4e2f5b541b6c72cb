//! The receiving-side defenses of seed 003: お馴染さん方式's numbers, shared
//! tables, and a backup MX's `relay_domains`.

use super::Checker;
use crate::scenario::schema::*;

/// `familiar`: a delay of 0 refuses nobody; a return window shorter than
/// the delay admits nobody.
pub(super) fn check_familiar(c: &mut Checker, path: &str, f: &Familiar) {
    if f.delay.0 == 0 {
        c.invalid(&format!("{path}.delay"), "delay", "0s would refuse nobody (try \"5m\")");
    }
    if f.retry_window < f.delay {
        c.invalid(
            &format!("{path}.retry_window"),
            "retry_window",
            format!("{} is shorter than delay {}: no stranger could ever come back in time", f.retry_window, f.delay),
        );
    }
    if f.max_age.0 == 0 {
        c.invalid(&format!("{path}.max_age"), "max_age", "0s would forget every regular at once (try \"35d\")");
    }
    check_database(c, &format!("{path}.database"), f.database.as_deref());
}

/// A shared table's name: any text but an empty one.
pub(super) fn check_database(c: &mut Checker, path: &str, name: Option<&str>) {
    if name.is_some_and(|n| n.trim().is_empty()) {
        c.invalid(path, "database", "an empty name shares nothing (try \"mx-pool\")");
    }
}

/// `relay_domains`: domain names, none of them one of the server's own.
pub(super) fn check_relay_domains(c: &mut Checker, path: &str, m: &MailServer) {
    for (j, d) in m.relay_domains.iter().enumerate() {
        if d.is_empty() || d.contains('@') || d.contains(char::is_whitespace) {
            c.invalid(
                &format!("{path}[{j}]"),
                format!("domain `{d}`"),
                "is not a domain name (try \"company.example\")",
            );
        } else if m.domains.iter().any(|x| x.eq_ignore_ascii_case(d)) {
            c.invalid(
                &format!("{path}[{j}]"),
                format!("domain `{d}`"),
                "is also in `domains`: a server is either the final destination of a domain or its backup",
            );
        }
    }
}
