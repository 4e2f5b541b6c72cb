//! The sending side of one SMTP session (RFC 5321 §3.3): a state machine that
//! reads each reply and says what to send next, or how the session ended.

use super::{Command, Reply};

/// Where the client is in the dialogue: what it is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Greeting,
    Ehlo,
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
    ConnectFailed {
        reason: String,
        blocked_by: Option<usize>,
    },
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
    pub ehlo: String,
    pub mail_from: String,
    pub rcpt: String,
    pub bytes: u32,
}

impl ClientSession {
    pub fn new(ehlo: String, mail_from: String, rcpt: String, bytes: u32) -> Self {
        ClientSession {
            state: State::Greeting,
            ehlo,
            mail_from,
            rcpt,
            bytes,
        }
    }

    /// Reads the server's reply and decides the next step. Every arm is one
    /// rule of RFC 5321 §4.3.2 (command/reply sequences).
    pub fn on_reply(&mut self, reply: &Reply) -> Action {
        let (next_state, cmd) = match (self.state, reply.is_positive()) {
            // Any negative reply ends the transaction; the sender says QUIT.
            (
                State::Greeting
                | State::Ehlo
                | State::MailFrom
                | State::RcptTo
                | State::Data
                | State::Content,
                false,
            ) => {
                self.state = State::Quit;
                return Action::QuitWith(if reply.is_transient() {
                    Outcome::Transient(reply.clone())
                } else {
                    Outcome::Permanent(reply.clone())
                });
            }
            // 220 greeting: introduce ourselves.
            (State::Greeting, true) => (State::Ehlo, Command::Ehlo(self.ehlo.clone())),
            // 250 to EHLO: start a mail transaction.
            (State::Ehlo, true) => (State::MailFrom, Command::MailFrom(self.mail_from.clone())),
            // 250 to MAIL: name the recipient.
            (State::MailFrom, true) => (State::RcptTo, Command::RcptTo(self.rcpt.clone())),
            // 250 to RCPT: ask to send the content.
            (State::RcptTo, true) => (State::Data, Command::Data),
            // 354: send the content and the final dot.
            (State::Data, true) => (State::Content, Command::Content { bytes: self.bytes }),
            // 250 after the dot: the server took responsibility (RFC 5321 §4.1.1.4).
            (State::Content, true) => {
                self.state = State::Quit;
                return Action::QuitWith(Outcome::Accepted);
            }
            (State::Quit | State::Closed, _) => {
                self.state = State::Closed;
                return Action::QuitWith(Outcome::Accepted);
            }
        };
        self.state = next_state;
        Action::Send(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_successful_dialogue_walks_every_step() {
        let mut c =
            ClientSession::new("pc".into(), "a@x.example".into(), "b@y.example".into(), 100);
        assert_eq!(
            c.on_reply(&Reply::greeting("mx")),
            Action::Send(Command::Ehlo("pc".into()))
        );
        assert_eq!(
            c.on_reply(&Reply::ehlo("mx")),
            Action::Send(Command::MailFrom("a@x.example".into()))
        );
        assert_eq!(
            c.on_reply(&Reply::sender_ok()),
            Action::Send(Command::RcptTo("b@y.example".into()))
        );
        assert_eq!(
            c.on_reply(&Reply::recipient_ok()),
            Action::Send(Command::Data)
        );
        assert_eq!(
            c.on_reply(&Reply::start_data()),
            Action::Send(Command::Content { bytes: 100 })
        );
        assert_eq!(
            c.on_reply(&Reply::queued("ABC")),
            Action::QuitWith(Outcome::Accepted)
        );
    }

    #[test]
    fn transient_and_permanent_refusals_end_the_session() {
        let mut c =
            ClientSession::new("pc".into(), "a@x.example".into(), "b@y.example".into(), 100);
        c.on_reply(&Reply::greeting("mx"));
        c.on_reply(&Reply::ehlo("mx"));
        c.on_reply(&Reply::sender_ok());
        let denied = Reply::relay_denied("b@y.example");
        assert_eq!(
            c.on_reply(&denied),
            Action::QuitWith(Outcome::Permanent(denied))
        );
        let mut c =
            ClientSession::new("pc".into(), "a@x.example".into(), "b@y.example".into(), 100);
        let down = Reply::service_unavailable("mx");
        assert_eq!(
            c.on_reply(&down),
            Action::QuitWith(Outcome::Transient(down))
        );
    }
}
