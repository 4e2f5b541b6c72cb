//! SMTP as a dialogue: commands, replies, and the two sides' state machines.
//!
//! Heads up: before changing this module, read RFC 5321 §3 (the procedures),
//! §4.2 (reply codes) and §4.5.4 (retry strategy), and RFC 3463 (enhanced
//! status codes). Both sides are sans-IO: they take a reply or a command and
//! say what comes next; `sim::simulation` moves the words over the network.

pub mod client;
pub mod reply;
pub mod server;

pub use client::{Action, ClientSession, Outcome};
pub use reply::{Refusal, Reply};

use crate::sim::message::Address;

/// What an SMTP client says.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Ehlo(Address),
    /// RFC 3207.
    StartTls,
    /// RFC 4954 with the PLAIN mechanism (RFC 4616).
    Auth {
        user: String,
        password: String,
    },
    MailFrom(Address),
    RcptTo(Address),
    Data,
    /// The message content and the terminating `.` (RFC 5321 §4.1.1.4).
    Content {
        bytes: u32,
    },
    Quit,
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Ehlo(h) => write!(f, "EHLO {h}"),
            Command::StartTls => write!(f, "STARTTLS"),
            Command::Auth { user, password } => {
                write!(f, "AUTH PLAIN {}", crate::sim::defense::auth::plain_response(user, password))
            }
            Command::MailFrom(a) => write!(f, "MAIL FROM:<{a}>"),
            Command::RcptTo(a) => write!(f, "RCPT TO:<{a}>"),
            Command::Data => write!(f, "DATA"),
            Command::Content { bytes } => write!(f, "[message: {bytes} bytes]\r\n."),
            Command::Quit => write!(f, "QUIT"),
        }
    }
}
