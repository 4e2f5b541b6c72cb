//! Replies with the codes and texts Postfix gives (`shared/design/RULES.md`).

use std::fmt;

/// An SMTP reply: a three-digit code and its text (enhanced status code first,
/// RFC 3463), possibly over several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Reply {
            code,
            text: text.into(),
        }
    }
    /// 2xx and 3xx: go on.
    pub fn is_positive(&self) -> bool {
        self.code < 400
    }
    /// 4xx: try again later (RFC 5321 §4.2.1).
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
    /// 5xx: do not repeat the same request.
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// The `220` banner, Postfix's default `smtpd_banner = $myhostname ESMTP $mail_name`.
    pub fn greeting(host: &str) -> Self {
        Reply::new(220, format!("{host} ESMTP Postfix"))
    }
    /// RFC 5321 §3.8: a server that cannot serve answers the connection with 421.
    pub fn service_unavailable(host: &str) -> Self {
        Reply::new(
            421,
            format!("4.3.2 {host} Service not available, closing transmission channel"),
        )
    }
    pub fn ehlo(host: &str) -> Self {
        Reply::new(
            250,
            format!("{host}\nPIPELINING\nSIZE 10240000\n8BITMIME\nENHANCEDSTATUSCODES\nDSN"),
        )
    }
    pub fn sender_ok() -> Self {
        Reply::new(250, "2.1.0 Ok")
    }
    pub fn recipient_ok() -> Self {
        Reply::new(250, "2.1.5 Ok")
    }
    /// Postfix `reject_unauth_destination` (smtpd_check.c).
    pub fn relay_denied(rcpt: &str) -> Self {
        Reply::new(554, format!("5.7.1 <{rcpt}>: Relay access denied"))
    }
    /// Postfix `reject_unlisted_recipient`.
    pub fn user_unknown(rcpt: &str) -> Self {
        Reply::new(
            550,
            format!(
                "5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table"
            ),
        )
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
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.lines().join("\n"))
    }
}
