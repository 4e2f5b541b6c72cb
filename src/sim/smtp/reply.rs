//! Replies with the codes and texts Postfix gives (`shared/design/RULES.md`).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A reply's text: fixed, or made once and shared. Fixed texts are not
/// allocated (a large run sends millions of `250 2.1.0 Ok`), and a server's
/// banner and EHLO list are made once per server, not once per connection.
#[derive(Debug, Clone)]
pub enum ReplyText {
    Fixed(&'static str),
    Shared(Arc<str>),
}

impl Deref for ReplyText {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            ReplyText::Fixed(s) => s,
            ReplyText::Shared(s) => s,
        }
    }
}

impl PartialEq for ReplyText {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl Eq for ReplyText {}

impl From<&'static str> for ReplyText {
    fn from(s: &'static str) -> Self {
        ReplyText::Fixed(s)
    }
}
impl From<String> for ReplyText {
    fn from(s: String) -> Self {
        ReplyText::Shared(s.into())
    }
}

impl fmt::Display for ReplyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// Why a server refused, as counted in `nodes.<id>.refused`: carried with
/// the reply that refuses, so nothing has to be read back from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    RelayDenied,
    UserUnknown,
    Greylisted,
    RateLimited,
    Spf,
    TlsRequired,
    AuthRequired,
    AuthFailed,
    Unavailable,
    /// お馴染さん方式: a client address not seen before (seed 003).
    FirstContact,
    /// Listed in a DNS blocklist (`reject_rbl_client`).
    Blocklisted,
    /// Over the client connection rate limit (Postfix anvil).
    TooManyConnections,
    /// The sender's MX did not confirm the envelope sender (a callback).
    UnverifiedSender,
}

impl Refusal {
    /// The counter's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::RelayDenied => "relay_denied",
            Refusal::UserUnknown => "user_unknown",
            Refusal::Greylisted => "greylisted",
            Refusal::RateLimited => "rate_limited",
            Refusal::Spf => "spf",
            Refusal::TlsRequired => "tls_required",
            Refusal::AuthRequired => "auth_required",
            Refusal::AuthFailed => "auth_failed",
            Refusal::Unavailable => "unavailable",
            Refusal::FirstContact => "first_contact",
            Refusal::Blocklisted => "blocklisted",
            Refusal::TooManyConnections => "too_many_connections",
            Refusal::UnverifiedSender => "unverified_sender",
        }
    }
}

/// An SMTP reply: a three-digit code and its text (enhanced status code first,
/// RFC 3463), possibly over several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: ReplyText,
    /// Why the server refused, for a refusal made by one of the named
    /// constructors below (`relay_denied`, `greylisted`, …); `None` otherwise.
    pub refusal: Option<Refusal>,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<ReplyText>) -> Self {
        Reply { code, text: text.into(), refusal: None }
    }
    /// The same reply, marked with why it refuses.
    pub fn refusing(mut self, why: Refusal) -> Self {
        self.refusal = Some(why);
        self
    }
    /// 2xx and 3xx: go on.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }
    /// 4xx: try again later (RFC 5321 §4.2.1).
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// The `220` banner, Postfix's default `smtpd_banner = $myhostname ESMTP $mail_name`.
    pub fn greeting(host: &str) -> Self {
        Reply::new(220, format!("{host} ESMTP Postfix"))
    }
    /// RFC 5321 §3.8: a server that cannot serve answers the connection with 421.
    pub fn service_unavailable(host: &str) -> Self {
        Reply::new(421, format!("4.3.2 {host} Service not available, closing transmission channel"))
            .refusing(Refusal::Unavailable)
    }
    /// The EHLO keywords Postfix lists; STARTTLS until TLS is on, AUTH
    /// where the server offers it (RFC 3207, RFC 4954).
    pub fn ehlo(host: &str, starttls: bool, auth: bool) -> Self {
        let tls = if starttls { "\nSTARTTLS" } else { "" };
        let auth = if auth { "\nAUTH PLAIN LOGIN" } else { "" };
        Reply::new(250, format!("{host}\nPIPELINING\nSIZE 10240000{tls}{auth}\nENHANCEDSTATUSCODES\n8BITMIME\nDSN"))
    }
    /// Does an EHLO reply list this keyword?
    pub fn offers(&self, keyword: &str) -> bool {
        // A substring search, then the match must be a whole first word of a line.
        self.text.match_indices(keyword).any(|(i, _)| {
            let starts_line = i == 0 || self.text.as_bytes()[i - 1] == b'\n';
            let rest = &self.text[i + keyword.len()..];
            starts_line && (rest.is_empty() || rest.starts_with(char::is_whitespace))
        })
    }
    pub fn ready_for_tls() -> Self {
        Reply::new(220, "2.0.0 Ready to start TLS")
    }
    pub fn tls_first() -> Self {
        Reply::new(530, "5.7.0 Must issue a STARTTLS command first").refusing(Refusal::TlsRequired)
    }
    pub fn auth_ok() -> Self {
        Reply::new(235, "2.7.0 Authentication successful")
    }
    pub fn auth_failed() -> Self {
        Reply::new(535, "5.7.8 Authentication credentials invalid").refusing(Refusal::AuthFailed)
    }
    pub fn auth_required() -> Self {
        Reply::new(530, "5.7.0 Authentication required").refusing(Refusal::AuthRequired)
    }
    pub fn auth_not_enabled() -> Self {
        Reply::new(503, "5.5.1 Error: authentication not enabled")
    }
    /// postgrey's `DEFER_IF_PERMIT` as Postfix reports it.
    /// お馴染さん方式 refusing a stranger (seed 003: a temporary error).
    /// Written as Postfix words a policy service's `DEFER_IF_PERMIT`
    /// (`450 4.7.1 <rcpt>: Recipient address rejected: …`); RFC 3463 X.7.1
    /// "delivery not authorized", as postgrey uses it.
    pub fn first_contact(rcpt: &str, client: std::net::Ipv4Addr) -> Self {
        Reply::new(
            450,
            format!("4.7.1 <{rcpt}>: Recipient address rejected: First contact from [{client}], try again later"),
        )
        .refusing(Refusal::FirstContact)
    }
    /// Postfix's `reject_rbl_client` reply (`rbl_reply_maps` default:
    /// `$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using
    /// $rbl_domain${rbl_reason?; $rbl_reason}`, `rbl_code` 554).
    pub fn blocklisted(client: std::net::Ipv4Addr, zone: &str, reason: &str) -> Self {
        Reply::new(554, format!("5.7.1 Service unavailable; Client host [{client}] blocked using {zone}; {reason}"))
            .refusing(Refusal::Blocklisted)
    }
    /// Postfix smtpd.c when anvil reports the client over
    /// `smtpd_client_connection_rate_limit`.
    pub fn too_many_connections(host: &str, client: std::net::Ipv4Addr) -> Self {
        Reply::new(421, format!("4.7.0 {host} Error: too many connections from {client}"))
            .refusing(Refusal::TooManyConnections)
    }
    /// Postfix `reject_unverified_sender` (smtpd_check.c): the sender's MX
    /// refused the address (`undeliverable`) or could not be asked
    /// (`unverified`), with what it said.
    pub fn unverified_sender(code: u16, sender: &str, undeliverable: bool, detail: &str) -> Self {
        let code = if undeliverable { code } else { 450 };
        let what = if undeliverable { "undeliverable" } else { "unverified" };
        Reply::new(code, format!("{}.1.7 <{sender}>: Sender address rejected: {what} address: {detail}", code / 100))
            .refusing(Refusal::UnverifiedSender)
    }
    pub fn greylisted(rcpt: &str) -> Self {
        let domain = rcpt.rsplit_once('@').map_or("", |(_, d)| d);
        Reply::new(
            450,
            format!(
                "4.7.1 <{rcpt}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{domain}.html"
            ),
        )
        .refusing(Refusal::Greylisted)
    }
    pub fn rate_limited(user: &str) -> Self {
        Reply::new(450, format!("4.7.1 <{user}>: Sender address rejected: sender rate limit exceeded"))
            .refusing(Refusal::RateLimited)
    }
    pub fn sender_ok() -> Self {
        Reply::new(250, "2.1.0 Ok")
    }
    pub fn recipient_ok() -> Self {
        Reply::new(250, "2.1.5 Ok")
    }
    /// Postfix `reject_unauth_destination` (smtpd_check.c).
    pub fn relay_denied(rcpt: &str) -> Self {
        Reply::new(554, format!("5.7.1 <{rcpt}>: Relay access denied")).refusing(Refusal::RelayDenied)
    }
    /// Postfix `reject_unlisted_recipient`.
    pub fn user_unknown(rcpt: &str) -> Self {
        Reply::new(550, format!("5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table"))
            .refusing(Refusal::UserUnknown)
    }
    pub fn start_data() -> Self {
        Reply::new(354, "End data with <CR><LF>.<CR><LF>")
    }
    pub fn queued(queue_id: &str) -> Self {
        Reply::new(250, format!("2.0.0 Ok: queued as {queue_id}"))
    }
    pub fn bye() -> Self {
        Reply::new(221, "2.0.0 Bye")
    }

    /// Multi-line replies use `250-` on every line but the last (RFC 5321 §4.2.1).
    pub fn lines(&self) -> Vec<String> {
        let parts: Vec<&str> = self.text.split('\n').collect();
        let n = parts.len();
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{}{}{}", self.code, if i + 1 < n { '-' } else { ' ' }, p))
            .collect()
    }

    /// The last line as sent (`250 DSN`), the one that decides.
    pub fn last_line(&self) -> String {
        let last = self.text.rsplit('\n').next().unwrap_or_default();
        format!("{} {last}", self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = self.text.split('\n').peekable();
        while let Some(p) = parts.next() {
            let last = parts.peek().is_none();
            write!(f, "{}{}{}", self.code, if last { ' ' } else { '-' }, p)?;
            if !last {
                f.write_str("\n")?;
            }
        }
        Ok(())
    }
}
