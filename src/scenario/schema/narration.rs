//! The lesson's narration: steps with their triggers, localized texts,
//! questions for the class, what to focus on and actions on the world.

use serde::{Deserialize, Serialize};

use crate::units::Duration;

/// Text in several languages: `{"en": "…", "ja": "…"}`. English is required
/// (the fallback for every other language); any language code may be added.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Localized(pub std::collections::BTreeMap<String, String>);

impl Localized {
    /// The text in `lang`, or in English when that language is missing.
    pub fn get(&self, lang: &str) -> &str {
        self.0.get(lang).or_else(|| self.0.get("en")).map_or("", String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The languages written, in code order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// One step of a lesson: when it fires, what it says, what to look at, an
/// optional question for the class and an optional action on the world.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique among the steps; an action's mail is named after it (`Msg(source: "<id>")`).
    pub id: String,
    pub trigger: Trigger,
    pub title: Localized,
    pub text: Localized,
    #[serde(default)]
    pub focus: Focus,
    #[serde(default)]
    pub predict: Option<Predict>,
    #[serde(default)]
    pub action: Option<Action>,
}

/// When a step fires. Steps fire in order: a step's trigger is watched only
/// from the moment the previous step fired, so "the first spam delivered"
/// means the first one after the previous step.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Trigger {
    /// At this simulated time from the start (at once if it has passed).
    At(Duration),
    /// This long after the previous step fired.
    After(Duration),
    /// A matching message is placed in a mailbox (`node`: the mailbox's server).
    Delivered(Match),
    /// A matching message is refused for good (`node`: the server that refused it).
    Rejected(Match),
    /// A router drops a matching message's connection (`node`: the router).
    Dropped(Match),
    /// A server greylists a matching message with `450` (`node`: the server).
    Greylisted(Match),
    /// A server accepts a matching message (`node`: the server), e.g. a relay.
    Accepted(Match),
    /// One delivery attempt of a matching message fails: a server refuses it
    /// (4xx or 5xx) or the connection fails (`node`: the server tried); the
    /// sender may try again.
    Refused(Match),
    /// A server generates a bounce; the match is on the bounce itself, so
    /// `Match(class: Backscatter)` is the first bounce to a forged sender.
    Bounced(Match),
    /// A matching message is lost without anyone told (a sender gave up).
    Lost(Match),
    /// This message reaches a mailbox.
    MessageDelivered(MsgRef),
    /// This message is refused or lost.
    MessageFailed(MsgRef),
    /// This message reaches its end, whatever it is (for revealing a prediction).
    MessageFinal(MsgRef),
}

impl Trigger {
    /// The message the trigger names, if any.
    pub fn message(&self) -> Option<&MsgRef> {
        match self {
            Trigger::MessageDelivered(m) | Trigger::MessageFailed(m) | Trigger::MessageFinal(m) => Some(m),
            _ => None,
        }
    }
    pub fn filter(&self) -> Option<&Match> {
        match self {
            Trigger::Delivered(m)
            | Trigger::Rejected(m)
            | Trigger::Dropped(m)
            | Trigger::Greylisted(m)
            | Trigger::Accepted(m)
            | Trigger::Refused(m)
            | Trigger::Bounced(m)
            | Trigger::Lost(m) => Some(m),
            _ => None,
        }
    }
}

/// Which messages an event trigger watches; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default)]
    pub class: Option<Class>,
    /// The traffic source that sent it (or the step whose action sent it).
    #[serde(default)]
    pub source: Option<String>,
    /// The node that wrote it (a population, a bot, a PC, a server).
    #[serde(default)]
    pub origin: Option<String>,
    /// The node where the event happens (see each trigger).
    #[serde(default)]
    pub node: Option<String>,
}

/// The classes of mail, as reports count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Class {
    Legit,
    Spam,
    Bounce,
    Backscatter,
}

/// A message named by its traffic source and its number within that source
/// (0 = the first it sent). A step with a `SendMail`/`SendSpam` action is a
/// source too: `Msg(source: "<step id>")` is the mail it sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MsgRef {
    pub source: String,
    #[serde(default)]
    pub index: u32,
}

/// What the GUI highlights while a step is shown.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Focus {
    #[serde(default)]
    pub nodes: Vec<String>,
    #[serde(default)]
    pub message: Option<MsgRef>,
}

/// A question for the class, asked when the step fires; the answer and its
/// explanation are revealed when the next step fires (or at the end).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Predict {
    pub question: Localized,
    pub choices: Vec<Localized>,
    /// Index into `choices` (0 = the first).
    pub answer: usize,
    pub explanation: Localized,
}

/// What a step does to the world when it fires (narrated runs only).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Action {
    /// Send one legit mail now.
    SendMail(SendMail),
    /// Send one more mail of a spam campaign now.
    SendSpam(SendSpam),
    /// Switch a defense on a node on or off (a what-if).
    Switch(Switch),
    /// Stop here until the teacher continues (the GUI pauses; the CLI notes it).
    Pause,
}

/// One legit mail: `from` is a ClientPc (through its mail client), a
/// Population (its host 0) or a mail server (from its own queue).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SendMail {
    pub from: String,
    pub to: String,
    /// Envelope sender for a mail server (default `noreply@<hostname>`).
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// One spam of `campaign`, sent by its first sender (first infected host)
/// with its strategy; `forged_from` defaults to the campaign's first.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SendSpam {
    pub campaign: String,
    pub to: String,
    #[serde(default)]
    pub forged_from: Option<String>,
}

/// Turn `defense` on `node` on or off.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub node: String,
    pub defense: Defense,
    pub on: bool,
}

/// The defenses that can be switched while a run goes on. Switching on uses
/// the node's own settings from the file when it has them, else the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum Defense {
    /// A mail server relays only for its ISP's networks (off: open relay).
    RelayRestriction,
    /// POP-before-SMTP (needs `pop_before_smtp` settings in the file).
    PopBeforeSmtp,
    /// Outbound Port 25 Blocking on a router (for the router's own ISP).
    Op25b,
    /// SPF checks at a mail server.
    Spf,
    /// postgrey at a mail server.
    Greylist,
    /// Recipient verification at `RCPT` (no backscatter).
    VerifyRecipients,
    /// お馴染さん方式 at a mail server (seed 003).
    Familiar,
    /// A backup MX relaying for its `relay_domains` (off: it refuses them
    /// as relaying, as if it were taken out of service).
    BackupMx,
    /// DNS blocklist checks at a mail server (needs `dnsbl` settings in the file).
    Dnsbl,
    /// A tarpit at a mail server: slow replies to unknown clients.
    Tarpit,
    /// A per-client connection rate limit at a mail server (needs
    /// `connection_rate_limit` in the file).
    ConnectionRateLimit,
    /// Callback verification of senders at a mail server.
    VerifySender,
}

impl Defense {
    pub const ALL: [Defense; 12] = [
        Defense::RelayRestriction,
        Defense::PopBeforeSmtp,
        Defense::Op25b,
        Defense::Spf,
        Defense::Greylist,
        Defense::VerifyRecipients,
        Defense::Familiar,
        Defense::BackupMx,
        Defense::Dnsbl,
        Defense::Tarpit,
        Defense::ConnectionRateLimit,
        Defense::VerifySender,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Defense::RelayRestriction => "RelayRestriction",
            Defense::PopBeforeSmtp => "PopBeforeSmtp",
            Defense::Op25b => "Op25b",
            Defense::Spf => "Spf",
            Defense::Greylist => "Greylist",
            Defense::VerifyRecipients => "VerifyRecipients",
            Defense::Familiar => "Familiar",
            Defense::BackupMx => "BackupMx",
            Defense::Dnsbl => "Dnsbl",
            Defense::Tarpit => "Tarpit",
            Defense::ConnectionRateLimit => "ConnectionRateLimit",
            Defense::VerifySender => "VerifySender",
        }
    }
    /// Routers carry OP25B; every other defense sits on a mail server.
    pub fn on_router(self) -> bool {
        self == Defense::Op25b
    }
}
