//! The sending side of one SMTP session (RFC 5321 §3.3, RFC 3207 STARTTLS,
//! RFC 4954 AUTH): a state machine that reads each reply and says what to
//! send next, or how the session ended.

use super::{Command, MailParams, Reply};
use crate::scenario::Credentials;
use crate::sim::message::Address;

/// Where the client is in the dialogue: what it is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Greeting,
    Ehlo,
    StartTls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    Content,
    Quit,
    Closed,
}

/// How a delivery attempt ended, from the sender's point of view.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `250 Ok: queued as …` after the content: the server has the message.
    Accepted,
    /// A 4xx reply: keep the message and try again later (RFC 5321 §4.2.5).
    Transient(Reply),
    /// A 5xx reply: do not try again; bounce if the message was accepted earlier.
    Permanent(Reply),
    /// No answer to the connection (a router dropped it, or nobody listens).
    ConnectFailed { reason: String, blocked_by: Option<usize> },
}

/// What the client does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send(Command),
    /// Say `QUIT` and end with this outcome.
    QuitWith(Outcome),
}

#[derive(Debug, Clone)]
pub struct ClientSession {
    pub state: State,
    pub ehlo: Address,
    pub mail_from: Address,
    pub rcpt: Address,
    pub bytes: u32,
    /// Upgrade with STARTTLS when offered (mail clients on port 587).
    pub starttls: bool,
    pub credentials: Option<Credentials>,
    tls_done: bool,
    authed: bool,
}

impl ClientSession {
    pub fn new(ehlo: Address, mail_from: Address, rcpt: Address, bytes: u32) -> Self {
        ClientSession {
            state: State::Greeting,
            ehlo,
            mail_from,
            rcpt,
            bytes,
            starttls: false,
            credentials: None,
            tls_done: false,
            authed: false,
        }
    }

    /// The same client, back at the start (for the next MX host).
    pub fn restarted(&self) -> Self {
        ClientSession { state: State::Greeting, tls_done: false, authed: false, ..self.clone() }
    }

    /// Reads the server's reply and decides the next step. Every arm is one
    /// rule of RFC 5321 §4.3.2 (command/reply sequences) or its extensions.
    pub fn on_reply(&mut self, reply: &Reply) -> Action {
        if !reply.is_positive() && !matches!(self.state, State::Quit | State::Closed) {
            // Any negative reply ends the transaction; the sender says QUIT.
            self.state = State::Quit;
            return Action::QuitWith(if reply.is_transient() {
                Outcome::Transient(reply.clone())
            } else {
                Outcome::Permanent(reply.clone())
            });
        }
        let (next, cmd) = match self.state {
            // 220 greeting: introduce ourselves.
            State::Greeting => (State::Ehlo, Command::Ehlo(self.ehlo.clone())),
            // 250 to EHLO: upgrade to TLS, then authenticate, then start the transaction.
            State::Ehlo if self.starttls && !self.tls_done && reply.offers("STARTTLS") => {
                (State::StartTls, Command::StartTls)
            }
            State::Ehlo if !self.authed && self.credentials.is_some() && reply.offers("AUTH") => {
                let c =
                    self.credentials.clone().unwrap_or(Credentials { user: String::new(), password: String::new() });
                (State::Auth, Command::Auth { user: c.user, password: c.password })
            }
            State::Ehlo => (State::MailFrom, Command::MailFrom(self.mail_from.clone(), MailParams::default())),
            // 220 to STARTTLS: the handshake is done; EHLO again (RFC 3207 §4.2).
            State::StartTls => {
                self.tls_done = true;
                (State::Ehlo, Command::Ehlo(self.ehlo.clone()))
            }
            // 235: authenticated.
            State::Auth => {
                self.authed = true;
                (State::MailFrom, Command::MailFrom(self.mail_from.clone(), MailParams::default()))
            }
            // 250 to MAIL: name the recipient.
            State::MailFrom => (State::RcptTo, Command::RcptTo(self.rcpt.clone())),
            // 250 to RCPT: ask to send the content.
            State::RcptTo => (State::Data, Command::Data),
            // 354: send the content and the final dot.
            State::Data => (State::Content, Command::Content { bytes: self.bytes }),
            // 250 after the dot: the server took responsibility (RFC 5321 §4.1.1.4).
            State::Content | State::Quit | State::Closed => {
                self.state = State::Quit;
                return Action::QuitWith(Outcome::Accepted);
            }
        };
        self.state = next;
        Action::Send(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientSession {
        ClientSession::new("pc".into(), "a@x.example".into(), "b@y.example".into(), 100)
    }

    #[test]
    fn a_successful_dialogue_walks_every_step() {
        let mut c = client();
        assert_eq!(c.on_reply(&Reply::greeting("mx")), Action::Send(Command::Ehlo("pc".into())));
        assert_eq!(
            c.on_reply(&Reply::ehlo("mx", true, false)),
            Action::Send(Command::MailFrom("a@x.example".into(), MailParams::default()))
        );
        assert_eq!(c.on_reply(&Reply::sender_ok()), Action::Send(Command::RcptTo("b@y.example".into())));
        assert_eq!(c.on_reply(&Reply::recipient_ok()), Action::Send(Command::Data));
        assert_eq!(c.on_reply(&Reply::start_data()), Action::Send(Command::Content { bytes: 100 }));
        assert_eq!(c.on_reply(&Reply::queued("ABC")), Action::QuitWith(Outcome::Accepted));
    }

    #[test]
    fn submission_clients_upgrade_then_authenticate() {
        let mut c = client();
        c.starttls = true;
        c.credentials = Some(Credentials { user: "a".into(), password: "pw".into() });
        c.on_reply(&Reply::greeting("msa"));
        assert_eq!(c.on_reply(&Reply::ehlo("msa", true, false)), Action::Send(Command::StartTls));
        assert_eq!(c.on_reply(&Reply::ready_for_tls()), Action::Send(Command::Ehlo("pc".into())));
        assert_eq!(
            c.on_reply(&Reply::ehlo("msa", false, true)),
            Action::Send(Command::Auth { user: "a".into(), password: "pw".into() })
        );
        assert_eq!(
            c.on_reply(&Reply::auth_ok()),
            Action::Send(Command::MailFrom("a@x.example".into(), MailParams::default()))
        );
    }

    #[test]
    fn transient_and_permanent_refusals_end_the_session() {
        let mut c = client();
        c.on_reply(&Reply::greeting("mx"));
        c.on_reply(&Reply::ehlo("mx", true, false));
        c.on_reply(&Reply::sender_ok());
        let denied = Reply::relay_denied("b@y.example");
        assert_eq!(c.on_reply(&denied), Action::QuitWith(Outcome::Permanent(denied)));
        let mut c = client();
        let down = Reply::service_unavailable("mx");
        assert_eq!(c.on_reply(&down), Action::QuitWith(Outcome::Transient(down)));
    }
}
