//! Quantities written for humans in scenario files: durations (`"30m"`, `"2d"`),
//! rates (`"10/h"`), IPv4 networks (`"10.1.0.0/16"`) and simulated time.
//!
//! Simulated time is an integer count of milliseconds so that a run is exactly
//! reproducible on every machine (no floating-point clock drift).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in simulated time: milliseconds since the scenario's start.
pub type SimTime = u64;

pub const MS: u64 = 1;
pub const SECOND: u64 = 1_000;
pub const MINUTE: u64 = 60 * SECOND;
pub const HOUR: u64 = 60 * MINUTE;
pub const DAY: u64 = 24 * HOUR;

/// Why a human-written quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error(
        "`{0}` is not a duration (expected a number and a unit, e.g. \"500ms\", \"30s\", \"5m\", \"2h\", \"3d\", or \"1h30m\")"
    )]
    Duration(String),
    #[error("`{0}` is not a rate (expected a count per unit, e.g. \"10/h\", \"2.5/min\", \"300/d\")")]
    Rate(String),
    #[error("`{0}` is not an IPv4 network (expected CIDR notation, e.g. \"10.1.0.0/16\")")]
    Cidr(String),
    #[error("`{0}` is not an IPv4 address (expected e.g. \"192.0.2.25\")")]
    Ip(String),
    #[error("`{0}` has host bits set below its prefix length (did you mean {1}?)")]
    CidrHostBits(String, String),
    #[error("`{0}` is not a timestamp (expected \"YYYY-MM-DDTHH:MM:SSZ\")")]
    Timestamp(String),
}

/// A length of simulated time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    pub const fn ms(self) -> u64 {
        self.0
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * SECOND)
    }
    pub const fn from_mins(m: u64) -> Self {
        Duration(m * MINUTE)
    }
}

fn unit_ms(unit: &str) -> Option<u64> {
    Some(match unit {
        "ms" => MS,
        "s" | "sec" => SECOND,
        "m" | "min" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return None,
    })
}

impl std::ops::Add<u64> for Duration {
    type Output = Duration;
    fn add(self, ms: u64) -> Duration {
        Duration(self.0.saturating_add(ms))
    }
}

impl FromStr for Duration {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UnitError::Duration(s.to_string());
        let text = s.trim();
        if text.is_empty() {
            return Err(err());
        }
        if text == "0" {
            return Ok(Duration(0));
        }
        let mut total: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
            if digits == 0 {
                return Err(err());
            }
            let n: u64 = rest[..digits].parse().map_err(|_| err())?;
            rest = &rest[digits..];
            let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let unit = unit_ms(&rest[..unit_len]).ok_or_else(err)?;
            total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(err)?;
            rest = &rest[unit_len..];
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_ms(self.0))
    }
}

/// Formats milliseconds the way they are written in scenario files (`1h30m`).
pub fn format_ms(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", SECOND), ("ms", MS)] {
        if rest >= size {
            out.push_str(&format!("{}{}", rest / size, unit));
            rest %= size;
        }
    }
    out
}

/// A rate of events: `count` per `per` milliseconds (`"10/h"`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rate {
    pub per_ms: f64,
    text_count: f64,
    text_unit: u64,
}

impl Rate {
    pub fn per_hour(n: f64) -> Self {
        Rate { per_ms: n / HOUR as f64, text_count: n, text_unit: HOUR }
    }
    /// Mean time between events in milliseconds (infinite for a zero rate).
    pub fn mean_gap_ms(&self) -> f64 {
        1.0 / self.per_ms
    }
    pub fn scaled(&self, k: f64) -> Self {
        Rate { per_ms: self.per_ms * k, text_count: self.text_count * k, text_unit: self.text_unit }
    }
}

impl FromStr for Rate {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UnitError::Rate(s.to_string());
        let (count, unit) = s.trim().split_once('/').ok_or_else(err)?;
        let count: f64 = count.trim().parse().map_err(|_| err())?;
        if !count.is_finite() || count < 0.0 {
            return Err(err());
        }
        let unit = unit.trim();
        let unit_ms =
            unit_ms(unit).or_else(|| Duration::from_str(unit).ok().map(|d| d.0)).filter(|&u| u > 0).ok_or_else(err)?;
        Ok(Rate { per_ms: count / unit_ms as f64, text_count: count, text_unit: unit_ms })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.text_count, format_ms(self.text_unit).trim_start_matches('1'))
    }
}

/// An IPv4 network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    pub base: u32,
    pub len: u8,
}

impl Cidr {
    pub fn mask(&self) -> u32 {
        if self.len == 0 { 0 } else { u32::MAX << (32 - self.len as u32) }
    }
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) & self.mask()) == self.base
    }
    pub fn first(&self) -> u32 {
        self.base
    }
    pub fn last(&self) -> u32 {
        self.base | !self.mask()
    }
    pub fn size(&self) -> u64 {
        1u64 << (32 - self.len as u32)
    }
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
    /// The `i`-th usable host address (skipping the network address).
    pub fn host(&self, i: u64) -> Option<Ipv4Addr> {
        let n = i.checked_add(1)?;
        (n < self.size().saturating_sub(1).max(1) || self.len >= 31)
            .then(|| Ipv4Addr::from(self.base.wrapping_add(n as u32)))
    }
}

impl FromStr for Cidr {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UnitError::Cidr(s.to_string());
        let (ip, len) = match s.trim().split_once('/') {
            Some((ip, len)) => (ip, len.parse::<u8>().map_err(|_| err())?),
            None => (s.trim(), 32),
        };
        if len > 32 {
            return Err(err());
        }
        let ip: Ipv4Addr = ip.parse().map_err(|_| err())?;
        let c = Cidr { base: u32::from(ip), len };
        if c.base & !c.mask() != 0 {
            let fixed = Cidr { base: c.base & c.mask(), len };
            return Err(UnitError::CidrHostBits(s.to_string(), fixed.to_string()));
        }
        Ok(c)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.len)
    }
}

/// An IPv4 address read from a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ip(pub Ipv4Addr);

impl FromStr for Ip {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse().map(Ip).map_err(|_| UnitError::Ip(s.to_string()))
    }
}

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Wall-clock time of the scenario's start, in seconds since 1970 (UTC), used
/// only to print `Date:` and `Received:` stamps like a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamp(pub i64);

impl FromStr for Timestamp {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UnitError::Timestamp(s.to_string());
        let b = s.trim().as_bytes();
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, UnitError> {
            std::str::from_utf8(&b[r]).ok().and_then(|t| t.parse().ok()).ok_or_else(err)
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
            return Err(err());
        }
        Ok(Timestamp(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, _) = civil(self.0);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day, hour, minute, second, weekday 0=Sunday) of a Unix time.
pub(crate) fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    let wd = (days + 4).rem_euclid(7);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60, wd)
}

/// An RFC 5322 §3.3 date, as servers write in `Received:` and `Date:`.
pub fn rfc5322_date(start: Timestamp, now: SimTime) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(start.0 + (now / SECOND) as i64);
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{}, {} {} {} {:02}:{:02}:{:02} +0000", DAYS[wd as usize], d, MONTHS[(mo - 1) as usize], y, h, mi, s)
}

macro_rules! serde_via_str {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
serde_via_str!(Duration, Rate, Cidr, Ip, Timestamp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_humans_write_them() {
        assert_eq!("30m".parse(), Ok(Duration(30 * MINUTE)));
        assert_eq!("2d".parse(), Ok(Duration(2 * DAY)));
        assert_eq!("1h30m".parse(), Ok(Duration(90 * MINUTE)));
        assert_eq!("500ms".parse(), Ok(Duration(500)));
        assert_eq!("0".parse(), Ok(Duration(0)));
        assert!("30".parse::<Duration>().is_err());
        assert!("m".parse::<Duration>().is_err());
        assert!("5 parsecs".parse::<Duration>().is_err());
        assert!("99999999999999999999d".parse::<Duration>().is_err());
        assert_eq!(format_ms(90 * MINUTE + 5 * SECOND), "1h30m5s");
    }

    #[test]
    fn rates_and_networks() {
        let r: Rate = "10/h".parse().unwrap();
        assert!((r.mean_gap_ms() - 360_000.0).abs() < 1e-6);
        assert!("10".parse::<Rate>().is_err());
        assert!("-1/h".parse::<Rate>().is_err());
        let c: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(c.contains("10.1.200.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert_eq!(c.host(0), Some("10.1.0.1".parse().unwrap()));
        assert!(matches!("10.1.0.1/16".parse::<Cidr>(), Err(UnitError::CidrHostBits(..))));
        assert!("10.1.0.0/33".parse::<Cidr>().is_err());
        let d: Cidr = "10.1.128.0/17".parse().unwrap();
        assert!(c.overlaps(&d) && d.overlaps(&c));
    }

    #[test]
    fn dates_print_like_postfix() {
        let t: Timestamp = "1999-03-01T09:00:00Z".parse().unwrap();
        assert_eq!(t.to_string(), "1999-03-01T09:00:00Z");
        assert_eq!(rfc5322_date(t, 61 * SECOND), "Mon, 1 Mar 1999 09:01:01 +0000");
    }
}
