//! The receiving side's decisions, as Postfix's `smtpd` makes them.
//!
//! Relay control follows `smtpd_relay_restrictions`: mail *for* a local domain
//! is accepted from anyone; mail for other domains only when the client is
//! permitted to relay (Postfix `permit_mynetworks`), else
//! `554 5.7.1 <rcpt>: Relay access denied`.

use super::{Command, Reply};

/// What the server knows about its recipients.
pub trait Recipients {
    /// Is `domain` one this server accepts mail for (`mydestination`)?
    fn is_local_domain(&self, domain: &str) -> bool;
    /// Does the mailbox exist? `None` when this server does not check
    /// (it accepts any local part and lets the mailbox server decide).
    fn mailbox_exists(&self, address: &str) -> Option<bool>;
}

/// The server's view of one session, fixed at connection time.
#[derive(Debug, Clone)]
pub struct ServerSession {
    pub hostname: String,
    /// The client's address is allowed to relay (open relay, or in `mynetworks`).
    pub relay_permitted: bool,
    /// The server is up (else `421` at the greeting).
    pub available: bool,
}

/// Why a server refused, as counted in `nodes.<id>.refused`.
pub fn refusal_reason(reply: &Reply) -> &'static str {
    match reply.code {
        554 if reply.text.contains("Relay access denied") => "relay_denied",
        550 if reply.text.contains("User unknown") => "user_unknown",
        421 => "unavailable",
        c if c >= 500 => "other_permanent",
        _ => "other_temporary",
    }
}

impl ServerSession {
    /// The reply to a new connection.
    pub fn greet(&self) -> Reply {
        if self.available {
            Reply::greeting(&self.hostname)
        } else {
            Reply::service_unavailable(&self.hostname)
        }
    }

    /// The reply to `cmd`; `queue_id` names the message if it is accepted.
    pub fn respond(&self, cmd: &Command, recipients: &dyn Recipients, queue_id: &str) -> Reply {
        match cmd {
            Command::Ehlo(_) => Reply::ehlo(&self.hostname),
            Command::MailFrom(_) => Reply::sender_ok(),
            Command::RcptTo(rcpt) => self.rcpt(rcpt, recipients),
            Command::Data => Reply::start_data(),
            Command::Content { .. } => Reply::queued(queue_id),
            Command::Quit => Reply::bye(),
        }
    }

    fn rcpt(&self, rcpt: &str, recipients: &dyn Recipients) -> Reply {
        let domain = rcpt.rsplit_once('@').map_or("", |(_, d)| d);
        if recipients.is_local_domain(domain) {
            // Local recipient: checked against the mailbox table when known.
            match recipients.mailbox_exists(rcpt) {
                Some(false) => Reply::user_unknown(rcpt),
                _ => Reply::recipient_ok(),
            }
        } else if self.relay_permitted {
            Reply::recipient_ok()
        } else {
            Reply::relay_denied(rcpt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Company;
    impl Recipients for Company {
        fn is_local_domain(&self, d: &str) -> bool {
            d == "company.example"
        }
        fn mailbox_exists(&self, a: &str) -> Option<bool> {
            Some(a == "bob@company.example")
        }
    }

    fn server(relay_permitted: bool) -> ServerSession {
        ServerSession {
            hostname: "mx.company.example".into(),
            relay_permitted,
            available: true,
        }
    }

    #[test]
    fn local_mail_is_accepted_from_anyone_but_relaying_is_not() {
        let s = server(false);
        assert_eq!(
            s.respond(
                &Command::RcptTo("bob@company.example".into()),
                &Company,
                "X"
            )
            .code,
            250
        );
        let r = s.respond(
            &Command::RcptTo("eve@elsewhere.example".into()),
            &Company,
            "X",
        );
        assert_eq!(
            r.to_string(),
            "554 5.7.1 <eve@elsewhere.example>: Relay access denied"
        );
        assert_eq!(refusal_reason(&r), "relay_denied");
        assert_eq!(
            server(true)
                .respond(
                    &Command::RcptTo("eve@elsewhere.example".into()),
                    &Company,
                    "X"
                )
                .code,
            250
        );
    }

    #[test]
    fn unknown_local_users_get_550_5_1_1() {
        let r = server(true).respond(
            &Command::RcptTo("nobody@company.example".into()),
            &Company,
            "X",
        );
        assert_eq!(r.code, 550);
        assert!(r.text.starts_with("5.1.1 <nobody@company.example>"));
    }

    #[test]
    fn a_down_server_greets_with_421() {
        let s = ServerSession {
            available: false,
            ..server(true)
        };
        assert_eq!(s.greet().code, 421);
        assert!(s.greet().is_transient());
    }
}
