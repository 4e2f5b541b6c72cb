//! SMTP as a dialogue: commands, replies, and the two sides' state machines.
//!
//! Heads up: before changing this module, read RFC 5321 §3 (the procedures),
//! §4.2 (reply codes) and §4.5.4 (retry strategy), and RFC 3463 (enhanced
//! status codes). Both sides are sans-IO: they take a reply or a command and
//! say what comes next; `sim::simulation` moves the words over the network.
//! A live session (bytes from a socket) reaches the same server state
//! machine through `parse` (command lines) and `data` (the message content).

pub mod client;
pub mod data;
pub mod parse;
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
    /// RFC 5321 §4.1.1.1: the same greeting without the extensions.
    Helo(Address),
    /// The reverse-path, with the ESMTP parameters the server offers.
    MailFrom(Address, MailParams),
    RcptTo(Address),
    Data,
    /// RFC 5321 §4.1.1.5: abort the transaction.
    Rset,
    /// RFC 5321 §4.1.1.9.
    Noop,
    /// The message content and the terminating `.` (RFC 5321 §4.1.1.4).
    Content {
        bytes: u32,
    },
    Quit,
}

/// `MAIL FROM` parameters (RFC 5321 §4.1.1.11): those of the extensions
/// the server lists in its EHLO reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailParams {
    /// RFC 1870: the size the client declares.
    pub size: Option<u64>,
    /// RFC 6152: `BODY=7BIT` or `BODY=8BITMIME`.
    pub body: Option<Body>,
}

/// The body type a client declares (RFC 6152).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    SevenBit,
    EightBitMime,
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Ehlo(h) => write!(f, "EHLO {h}"),
            Command::StartTls => write!(f, "STARTTLS"),
            Command::Auth { user, password } => {
                write!(f, "AUTH PLAIN {}", crate::sim::defense::auth::plain_response(user, password))
            }
            Command::Helo(h) => write!(f, "HELO {h}"),
            Command::MailFrom(a, p) => {
                write!(f, "MAIL FROM:<{a}>")?;
                if let Some(size) = p.size {
                    write!(f, " SIZE={size}")?;
                }
                match p.body {
                    Some(Body::SevenBit) => write!(f, " BODY=7BIT"),
                    Some(Body::EightBitMime) => write!(f, " BODY=8BITMIME"),
                    None => Ok(()),
                }
            }
            Command::RcptTo(a) => write!(f, "RCPT TO:<{a}>"),
            Command::Data => write!(f, "DATA"),
            Command::Rset => write!(f, "RSET"),
            Command::Noop => write!(f, "NOOP"),
            Command::Content { bytes } => write!(f, "[message: {bytes} bytes]\r\n."),
            Command::Quit => write!(f, "QUIT"),
        }
    }
}
