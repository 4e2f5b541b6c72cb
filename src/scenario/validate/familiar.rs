//! The receiving-side defenses of seed 003: お馴染さん方式's numbers.

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
}
