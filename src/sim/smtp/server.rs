//! The receiving side, as Postfix's `smtpd` behaves.
//!
//! Heads up! Before working on this file you should read, at least, RFC 5321
//! §3.3 (the mail transaction), §4.1.1 (each command), §4.1.4 (the order of
//! commands), §4.2 and §4.3.2 (replies for each command) and §4.5.3 (size
//! limits and timeouts), plus RFC 3207 (STARTTLS), RFC 4954 (AUTH) and
//! RFC 6409 (submission). Postfix's `smtpd.c` gives the reply texts.
//!
//! The session is a state machine: [`State`] says where the dialogue is, and
//! `ServerSession::transition` is one `match (state, command)` whose arms
//! each name their rule. Two paths drive it. The simulation hands it typed
//! [`Command`]s ([`ServerSession::respond`]); the live path hands it bytes
//! ([`ServerSession::receive`]), which go through the parser (`parse.rs`)
//! or, after `354`, the DATA reader (`data.rs`). Time comes in as `now`;
//! [`ServerSession::poll_at`] says when the idle timer wants attention.
//!
//! Restrictions are evaluated at `RCPT TO`: first recipient verification
//! (`550 5.1.1`, Postfix `smtpd_reject_unlisted_recipient`), then the
//! server's list in order (`smtpd_recipient_restrictions`), by default
//! Postfix's usual one: `permit_mynetworks` (and POP-before-SMTP's access
//! map), `permit_sasl_authenticated`, `reject_unauth_destination`
//! (`554 5.7.1 Relay access denied`), then the policy services: SPF, then
//! postgrey (`DEFER_IF_PERMIT`, so only mail that would otherwise be
//! accepted is greylisted). The first check that permits or rejects
//! decides; a list that runs out permits. The submission ports (587, 465)
//! follow RFC 6409 §4.3: no `MAIL` before AUTH.

use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use super::data::{DataEnd, DataReader};
use super::parse::{self, COMMAND_LINE_MAX, Ending, LineReader, Mechanism, ParseError, Request, parse_command};
use super::reply::ReplyText;
use super::{Command, Reply};
use crate::scenario::{Restriction, SpfAction};
use crate::sim::defense::familiar::FamiliarVerdict;
use crate::sim::defense::greylist::GreylistVerdict;
use crate::sim::message::Address;
use crate::sim::spf::SpfResult;
use crate::units::{SECOND, SimTime};

/// What the server knows and decides beyond the dialogue itself.
pub trait ServerEnv {
    /// Is `domain` one this server accepts mail for (`mydestination`)?
    fn is_local_domain(&self, domain: &str) -> bool;
    /// Does the mailbox exist? `None` when this server does not check.
    fn mailbox_exists(&self, address: &str) -> Option<bool>;
    /// Is SMTP-AUTH offered (are there accounts)?
    fn auth_offered(&self) -> bool;
    fn check_credentials(&mut self, user: &str, password: &str) -> bool;
    /// Counts a message for an authenticated user; false when over the limit.
    fn within_rate_limit(&mut self, user: &str) -> bool;
    /// The SPF result for this sender and the policy's action (None: no SPF checks).
    fn spf(&mut self, ip: Ipv4Addr, helo: &str, mail_from: &str) -> Option<(SpfResult, SpfAction)>;
    /// postgrey's verdict (None: no greylisting).
    fn greylist(&mut self, ip: Ipv4Addr, sender: &str, rcpt: &str) -> Option<GreylistVerdict>;
    /// Is `domain` one this server relays for from anyone (`relay_domains`:
    /// a backup MX)?
    fn relays_for(&self, _domain: &str) -> bool {
        false
    }
    /// The first blocklist (asked at `RCPT TO`) that lists the client: its
    /// zone and reason (None: not listed, or no blocklists at `RCPT`).
    fn blocklisted(&mut self, _ip: Ipv4Addr) -> Option<(String, String)> {
        None
    }
    /// A callback to the sender domain's MX: the refusal it calls for
    /// (None: verified, or no callbacks here).
    fn verify_sender(&mut self, _ip: Ipv4Addr, _sender: &str) -> Option<Reply> {
        None
    }
    /// お馴染さん方式's verdict on the client address (None: not in use).
    fn familiar(&mut self, _ip: Ipv4Addr) -> Option<FamiliarVerdict> {
        None
    }
    /// The `RCPT TO` checks in order (Postfix `smtpd_recipient_restrictions`).
    fn restrictions(&self) -> &[Restriction] {
        &Restriction::DEFAULT_ORDER
    }
}

/// Why an address may relay without authenticating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayGrant {
    Open,
    MyNetworks,
    /// A POP3 login from this address `ago_ms` before the connection.
    PopBeforeSmtp {
        ago_ms: u64,
    },
}

/// The role of the port the client connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRole {
    /// Port 25: relay and MX.
    Mta,
    /// Port 587 (STARTTLS) or 465 (implicit TLS): AUTH required (RFC 6409, RFC 8314).
    Submission { implicit_tls: bool },
}

impl PortRole {
    pub fn of(port: u16) -> Self {
        match port {
            587 => PortRole::Submission { implicit_tls: false },
            465 => PortRole::Submission { implicit_tls: true },
            _ => PortRole::Mta,
        }
    }
}

/// A server's banner and EHLO replies, made once per server: every
/// connection shares them.
#[derive(Debug)]
pub struct ServerTexts {
    pub hostname: Address,
    greeting: Reply,
    /// By (STARTTLS offered, AUTH offered).
    ehlo: [Reply; 4],
}

impl ServerTexts {
    pub fn new(hostname: &str) -> Arc<Self> {
        let ehlo = [(false, false), (false, true), (true, false), (true, true)]
            .map(|(tls, auth)| Reply::ehlo(hostname, tls, auth));
        Arc::new(ServerTexts { hostname: hostname.into(), greeting: Reply::greeting(hostname), ehlo })
    }
    fn ehlo(&self, starttls: bool, auth: bool) -> Reply {
        self.ehlo[usize::from(starttls) * 2 + usize::from(auth)].clone()
    }
}

/// Postfix's limits and defaults for one server (`postconf -d`); the live
/// path and the simulation share them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `message_size_limit` (10240000 octets), also listed as `SIZE` in EHLO (RFC 1870).
    pub message_size: u64,
    /// `smtpd_recipient_limit` (1000): more `RCPT TO` get `452 4.5.3`
    /// (RFC 5321 §4.5.3.1.8 asks servers to take at least 100).
    pub recipients: u32,
    /// `smtpd_hard_error_limit` (20): after this many errors the server
    /// says `421 4.7.0 … too many errors` and hangs up.
    pub hard_errors: u32,
    /// `smtpd_timeout` (300 s; RFC 5321 §4.5.3.2.7: server timeout 5 minutes):
    /// a client silent this long is told `421 4.4.2` and disconnected.
    pub idle_timeout_ms: u64,
    /// `smtpd_helo_required` (no): refuse `MAIL` before `HELO`/`EHLO`.
    pub helo_required: bool,
    /// `smtpd_forbid_bare_newline` (`normal` since Postfix 3.9).
    pub bare_newline: BareNewline,
}

/// What the server does with a line that ends in a bare LF (Postfix
/// `smtpd_forbid_bare_newline`, the SMTP smuggling fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BareNewline {
    /// `normal`: take it as a line end, but only `<CR><LF>.<CR><LF>` ends the data.
    Normal,
    /// `reject`: `521 5.5.2 <host> Error: bare <LF> received`, then hang up.
    Reject,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            message_size: 10_240_000,
            recipients: 1000,
            hard_errors: 20,
            idle_timeout_ms: 300 * SECOND,
            helo_required: false,
            bare_newline: BareNewline::Normal,
        }
    }
}

/// Where the server is in the dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Greeted with 220; no `HELO`/`EHLO` yet (or forgotten after `STARTTLS`).
    Init,
    /// Introduced; no mail transaction.
    Ready,
    /// `MAIL FROM` accepted; no recipient accepted yet.
    Mail,
    /// At least one `RCPT TO` accepted.
    Rcpt,
    /// `354` sent: the message content comes next.
    Data,
    /// `334` sent: an AUTH exchange wants its next line (live path only;
    /// the typed `Command::Auth` carries its credentials).
    Auth(AuthStep),
    /// `221`, `421`, or a down server: nothing more is read.
    Closed,
}

/// What an AUTH exchange waits for (RFC 4954 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// `AUTH PLAIN` without an initial response: the PLAIN message.
    Plain,
    /// `AUTH LOGIN`: the user name, then the password.
    LoginUser,
    LoginPassword {
        user: String,
    },
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Init => f.write_str("INIT"),
            State::Ready => f.write_str("READY"),
            State::Mail => f.write_str("MAIL"),
            State::Rcpt => f.write_str("RCPT"),
            State::Data => f.write_str("DATA"),
            State::Auth(_) => f.write_str("AUTH"),
            State::Closed => f.write_str("CLOSED"),
        }
    }
}

/// The server's only timer: when a silent client is disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Not armed (the simulated path: its client never idles).
    Off,
    Idle {
        expires_at: SimTime,
    },
}

/// What the live path gets back for bytes or a timer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Replies in order, one per command (pipelined commands get theirs in turn).
    pub replies: Vec<Reply>,
    /// The server hangs up after sending these replies.
    pub close: bool,
    /// The content of each message accepted (`250 … queued as`), unstuffed.
    pub accepted: Vec<Vec<u8>>,
    /// The envelope of each message in `accepted`, in the same order.
    pub envelopes: Vec<Envelope>,
}

/// The envelope of a message accepted on the live path: who sent it and
/// the recipients the server accepted (RFC 5321 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub mail_from: Address,
    pub rcpts: Vec<Address>,
}

/// The live path's input buffers (none on the simulated path).
#[derive(Debug, Clone)]
struct LiveInput {
    lines: LineReader,
    data: DataReader,
}

/// The server's side of one session: a state machine that the simulation
/// drives with typed commands ([`ServerSession::respond`]) and the live path
/// with bytes ([`ServerSession::receive`]).
#[derive(Debug, Clone)]
pub struct ServerSession {
    pub texts: Arc<ServerTexts>,
    pub role: PortRole,
    pub available: bool,
    /// TLS is configured (the server offers STARTTLS).
    pub tls_available: bool,
    pub client_ip: Ipv4Addr,
    pub relay_grant: Option<RelayGrant>,
    pub tls: bool,
    pub helo: Address,
    pub auth_user: Option<String>,
    pub mail_from: Address,
    /// SPF result of this transaction, for `Received-SPF:`.
    pub spf: Option<SpfResult>,
    /// Seconds the triplet was greylisted before passing, for `X-Greylist:`.
    pub greylist_delay: Option<u64>,
    /// A refusal given instead of the greeting (a blocklisted client at
    /// the connection, RFC 5321 §3.1); the session is closed.
    refused_greeting: Option<Reply>,
    pub limits: Limits,
    state: State,
    /// Recipients accepted in this transaction.
    recipients: u32,
    /// Commands answered with 4xx or 5xx in this session.
    errors: u32,
    timer: Timer,
    live: Option<Box<LiveInput>>,
    /// The live path's accepted recipients of this transaction (the
    /// simulated path counts them only and allocates nothing).
    rcpt_list: Vec<Address>,
    /// Bytes came through [`Self::receive`]: recipients are listed.
    live_path: bool,
}

/// Why a server refused, as counted in `nodes.<id>.refused`: the reason the
/// reply carries, else whether the refusal is permanent (5xx) or not.
pub fn refusal_reason(reply: &Reply) -> &'static str {
    match reply.refusal {
        Some(why) => why.name(),
        None if reply.code >= 500 => "other_permanent",
        None => "other_temporary",
    }
}

/// Postfix's replies for sequencing errors and limits (smtpd.c).
mod text {
    pub const SEND_HELO_FIRST: &str = "5.5.1 Error: send HELO/EHLO first";
    pub const NESTED_MAIL: &str = "5.5.1 Error: nested MAIL command";
    pub const NEED_MAIL: &str = "5.5.1 Error: need MAIL command";
    pub const NEED_RCPT: &str = "5.5.1 Error: need RCPT command";
    pub const NO_VALID_RECIPIENTS: &str = "5.5.1 Error: no valid recipients";
    pub const IN_TRANSACTION: &str = "5.5.1 Error: MAIL transaction in progress";
    pub const ALREADY_AUTHENTICATED: &str = "5.5.1 Error: already authenticated";
    pub const TLS_ACTIVE: &str = "5.5.1 Error: TLS already active";
    pub const NOT_IMPLEMENTED: &str = "5.5.1 Error: command not implemented";
    pub const NOT_RECOGNIZED: &str = "5.5.2 Error: command not recognized";
    pub const TOO_MANY_RECIPIENTS: &str = "4.5.3 Error: too many recipients";
    pub const SIZE_EXCEEDED: &str = "5.3.4 Message size exceeds fixed limit";
    pub const LINE_TOO_LONG: &str = "5.5.0 Error: line too long";
    pub const OK: &str = "2.0.0 Ok";
    /// Not Postfix (its content never arrives as commands): a typed client
    /// that sends a command where the content belongs.
    pub const CONTENT_EXPECTED: &str = "5.5.1 Error: message content expected";
}

impl ServerSession {
    pub fn new(
        texts: Arc<ServerTexts>,
        port: u16,
        available: bool,
        client_ip: Ipv4Addr,
        relay_grant: Option<RelayGrant>,
    ) -> Self {
        let role = PortRole::of(port);
        ServerSession {
            texts,
            role,
            available,
            tls_available: true,
            client_ip,
            relay_grant,
            tls: role == PortRole::Submission { implicit_tls: true },
            helo: "".into(),
            auth_user: None,
            mail_from: "".into(),
            spf: None,
            greylist_delay: None,
            refused_greeting: None,
            limits: Limits::default(),
            // RFC 5321 §3.8: a server that cannot serve says 421 and closes.
            state: if available { State::Init } else { State::Closed },
            recipients: 0,
            errors: 0,
            timer: Timer::Off,
            live: None,
            rcpt_list: Vec::new(),
            live_path: false,
        }
    }

    /// RFC 5321 §3.1: a server may answer a connection with `554` instead
    /// of `220` ("no SMTP service here"); nothing more is read.
    pub fn refuse_greeting(&mut self, reply: Reply) {
        self.set_state(State::Closed);
        self.refused_greeting = Some(reply);
    }

    /// The reply to a new connection.
    pub fn greet(&self) -> Reply {
        if let Some(r) = &self.refused_greeting {
            return r.clone();
        }
        if self.available { self.texts.greeting.clone() } else { Reply::service_unavailable(&self.texts.hostname) }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Commands answered with an error so far.
    pub fn errors(&self) -> u32 {
        self.errors
    }

    /// Postfix's `with` protocol in `Received:` (RFC 3848).
    pub fn protocol(&self) -> &'static str {
        match (self.tls, self.auth_user.is_some()) {
            (false, false) => "ESMTP",
            (true, false) => "ESMTPS",
            (false, true) => "ESMTPA",
            (true, true) => "ESMTPSA",
        }
    }

    /// Every change of state goes through here (smoltcp's `set_state`):
    /// the one place to watch (`state=MAIL=>RCPT`) when debugging, and where
    /// the rule that nothing leaves `Closed` is checked.
    fn set_state(&mut self, next: State) {
        debug_assert!(self.state != State::Closed || next == State::Closed, "smtpd: state={}=>{}", self.state, next);
        self.state = next;
    }

    /// The state a finished or aborted transaction returns to.
    fn idle(&self) -> State {
        if self.helo.is_empty() { State::Init } else { State::Ready }
    }

    /// Forgets the transaction (RSET, EHLO, a new MAIL). What the last
    /// accepted message's `Received:` needs (SPF, greylisting) stays until then.
    fn reset_transaction(&mut self) {
        self.mail_from = "".into();
        self.spf = None;
        self.greylist_delay = None;
        self.recipients = 0;
        self.rcpt_list.clear();
    }

    /// The simulated path: the reply to a typed command. `queue_id` names the
    /// message if it is accepted. The simulated client stops at its first
    /// refusal, so it never reaches the error limit; the live path's
    /// [`Self::receive`] also gives the `421` that follows it.
    pub fn respond(&mut self, cmd: &Command, env: &mut dyn ServerEnv, queue_id: &str) -> Reply {
        // No Output here: the simulated path answers millions of commands
        // and allocates nothing per command.
        let reply = self.transition(cmd, env, queue_id);
        let _too_many_errors = self.count(&reply);
        reply
    }

    /// Counts a reply that reports an error; at the error limit the session
    /// closes and the `421` to send after the reply comes back (Postfix
    /// checks the limit before it reads the next command).
    fn count(&mut self, reply: &Reply) -> Option<Reply> {
        if reply.code < 400 || self.state == State::Closed {
            return None;
        }
        self.errors += 1;
        if self.errors < self.limits.hard_errors {
            return None;
        }
        self.set_state(State::Closed);
        Some(Reply::new(421, format!("4.7.0 {} Error: too many errors", self.texts.hostname)))
    }

    /// The live path's answer to one command, with the `421` that may follow.
    fn command(&mut self, cmd: &Command, env: &mut dyn ServerEnv, queue_id: &str, out: &mut Output) {
        let reply = self.transition(cmd, env, queue_id);
        self.answered(reply, out);
    }

    fn answered(&mut self, reply: Reply, out: &mut Output) {
        let follow = self.count(&reply);
        out.replies.push(reply);
        out.replies.extend(follow);
        out.close |= self.state == State::Closed;
    }

    /// The state machine: one arm per (state, command), each with its rule.
    fn transition(&mut self, cmd: &Command, env: &mut dyn ServerEnv, queue_id: &str) -> Reply {
        let submission = matches!(self.role, PortRole::Submission { .. });
        let in_transaction = matches!(self.state, State::Mail | State::Rcpt);
        match (&self.state, cmd) {
            // RFC 5321 §3.8: a closed session reads nothing; a down server only says 421.
            (State::Closed, _) => Reply::service_unavailable(&self.texts.hostname),

            // RFC 5321 §4.1.1.4: after 354 the content comes, then the server
            // takes responsibility (250) or refuses it (552: RFC 1870 §6.3).
            (State::Data, Command::Content { bytes }) => {
                let next = self.idle();
                self.set_state(next);
                if u64::from(*bytes) > self.limits.message_size {
                    Reply::new(552, text::SIZE_EXCEEDED)
                } else {
                    Reply::queued(queue_id)
                }
            }
            (State::Data, _) => Reply::new(503, text::CONTENT_EXPECTED),

            // A typed command in the middle of a live AUTH exchange aborts it (RFC 4954 §4).
            (State::Auth(_), _) => {
                self.set_state(State::Ready);
                ParseError::AuthAborted.reply()
            }

            // RFC 5321 §4.1.1.10: QUIT is accepted in any state; the server closes.
            (_, Command::Quit) => {
                self.set_state(State::Closed);
                Reply::bye()
            }
            // RFC 5321 §4.1.1.9: NOOP changes nothing.
            (_, Command::Noop) => Reply::new(250, text::OK),
            // RFC 5321 §4.1.1.5: RSET aborts the transaction, keeps the greeting.
            (_, Command::Rset) => {
                self.reset_transaction();
                let next = self.idle();
                self.set_state(next);
                Reply::new(250, text::OK)
            }
            // RFC 5321 §4.1.4: EHLO (or HELO) at any time resets like RSET.
            (_, Command::Ehlo(h) | Command::Helo(h)) => {
                self.reset_transaction();
                self.helo = h.clone();
                self.set_state(State::Ready);
                if matches!(cmd, Command::Helo(_)) {
                    return Reply::new(250, ReplyText::Shared(Arc::clone(&self.texts.hostname)));
                }
                // Postfix on submission sets smtpd_tls_auth_only: AUTH only after TLS.
                let auth = env.auth_offered() && (self.tls || !submission);
                self.texts.ehlo(self.tls_available && !self.tls, auth)
            }

            // RFC 3207 §4: no STARTTLS inside a transaction (Postfix), nor twice.
            (State::Mail | State::Rcpt, Command::StartTls) => Reply::new(503, text::IN_TRANSACTION),
            (_, Command::StartTls) if self.tls => Reply::new(554, text::TLS_ACTIVE),
            (_, Command::StartTls) if !self.tls_available => Reply::new(502, text::NOT_IMPLEMENTED),
            // RFC 3207 §4.2: after the handshake the server forgets what the client said.
            (_, Command::StartTls) => {
                self.tls = true;
                self.reset_transaction();
                self.helo = "".into();
                self.set_state(State::Init);
                Reply::ready_for_tls()
            }

            // RFC 4954 §4: AUTH after EHLO, outside a transaction, once.
            (_, Command::Auth { user, password }) => match self.auth_refusal(env, in_transaction) {
                Some(refusal) => refusal,
                None if env.check_credentials(user, password) => {
                    self.auth_user = Some(user.clone());
                    Reply::auth_ok()
                }
                None => Reply::auth_failed(),
            },

            // Postfix smtpd_helo_required: MAIL only after HELO/EHLO.
            (State::Init, Command::MailFrom(..)) if self.limits.helo_required => Reply::new(503, text::SEND_HELO_FIRST),
            // RFC 5321 §4.1.4: one transaction at a time.
            (State::Mail | State::Rcpt, Command::MailFrom(..)) => Reply::new(503, text::NESTED_MAIL),
            // RFC 5321 §4.1.1.2: MAIL starts a transaction.
            (_, Command::MailFrom(from, params)) => {
                // RFC 6409 §4.3: the submission server rejects MAIL until authenticated.
                if submission && self.auth_user.is_none() {
                    return Reply::auth_required();
                }
                // RFC 1870 §6.2: a declared size over the limit is refused at once.
                if params.size.is_some_and(|n| n > self.limits.message_size) {
                    return Reply::new(552, text::SIZE_EXCEEDED);
                }
                if let Some(user) = self.auth_user.clone()
                    && !env.within_rate_limit(&user)
                {
                    return Reply::rate_limited(&user);
                }
                self.reset_transaction();
                self.mail_from = from.clone();
                self.set_state(State::Mail);
                Reply::sender_ok()
            }

            // RFC 5321 §4.1.4: RCPT only inside a transaction.
            (State::Init | State::Ready, Command::RcptTo(_)) => Reply::new(503, text::NEED_MAIL),
            // RFC 5321 §4.5.3.1.8 (Postfix smtpd_recipient_limit).
            (_, Command::RcptTo(_)) if self.recipients >= self.limits.recipients => {
                Reply::new(452, text::TOO_MANY_RECIPIENTS)
            }
            // RFC 5321 §4.1.1.3: each accepted recipient joins the transaction.
            (_, Command::RcptTo(rcpt)) => {
                let reply = self.rcpt(rcpt, env);
                if reply.is_positive() {
                    if self.live_path {
                        self.rcpt_list.push(rcpt.clone());
                    }
                    self.recipients += 1;
                    self.set_state(State::Rcpt);
                }
                reply
            }

            // RFC 5321 §4.1.4: DATA needs a transaction with a recipient (Postfix's two texts).
            (State::Init | State::Ready, Command::Data) => Reply::new(503, text::NEED_RCPT),
            (State::Mail, Command::Data) => Reply::new(554, text::NO_VALID_RECIPIENTS),
            (_, Command::Data) => {
                self.set_state(State::Data);
                Reply::start_data()
            }

            // Content outside DATA: its lines would be read as commands.
            (_, Command::Content { .. }) => Reply::new(502, text::NOT_RECOGNIZED),
        }
    }

    /// Why AUTH is refused now, if it is (Postfix smtpd_sasl_glue.c, RFC 4954).
    fn auth_refusal(&self, env: &dyn ServerEnv, in_transaction: bool) -> Option<Reply> {
        let submission = matches!(self.role, PortRole::Submission { .. });
        if !env.auth_offered() {
            Some(Reply::auth_not_enabled())
        } else if self.state == State::Init {
            Some(Reply::new(503, text::SEND_HELO_FIRST))
        } else if in_transaction {
            Some(Reply::new(503, text::IN_TRANSACTION))
        } else if self.auth_user.is_some() {
            Some(Reply::new(503, text::ALREADY_AUTHENTICATED))
        } else if submission && !self.tls {
            // Postfix on submission: smtpd_tls_auth_only.
            Some(Reply::tls_first())
        } else {
            None
        }
    }

    // ----- the live path ------------------------------------------------

    /// A new live connection at `now`: the greeting, and the idle timer armed.
    pub fn open(&mut self, now: SimTime) -> Output {
        let reply = self.greet();
        self.arm(now);
        let close = self.state == State::Closed;
        if close {
            self.timer = Timer::Off;
        }
        Output { replies: vec![reply], close, ..Output::default() }
    }

    /// When the session next needs attention without input (smoltcp's `poll_at`).
    pub fn poll_at(&self) -> Option<SimTime> {
        match self.timer {
            Timer::Off => None,
            Timer::Idle { expires_at } => Some(expires_at),
        }
    }

    /// The timer's turn at `now`: a client silent past the timeout is
    /// disconnected (RFC 5321 §4.5.3.2.7; Postfix's text).
    pub fn on_timer(&mut self, now: SimTime) -> Output {
        match self.timer {
            Timer::Idle { expires_at } if now >= expires_at && self.state != State::Closed => {
                self.timer = Timer::Off;
                self.set_state(State::Closed);
                let reply = Reply::new(421, format!("4.4.2 {} Error: timeout exceeded", self.texts.hostname));
                Output { replies: vec![reply], close: true, ..Output::default() }
            }
            _ => Output::default(),
        }
    }

    fn arm(&mut self, now: SimTime) {
        self.timer = if self.state == State::Closed {
            Timer::Off
        } else {
            Timer::Idle { expires_at: now.saturating_add(self.limits.idle_timeout_ms) }
        };
    }

    /// The live path: bytes from the client at `now`, through the parser
    /// (or the DATA reader) into the same state machine. Answers every
    /// complete line; keeps an unfinished one (at most 1000 octets) for the
    /// next call. Pipelined commands (RFC 2920) are answered in order; bytes
    /// after a `DATA` that is accepted are content.
    pub fn receive(&mut self, now: SimTime, mut input: &[u8], env: &mut dyn ServerEnv, queue_id: &str) -> Output {
        let mut out = Output::default();
        self.live_path = true;
        let (size_limit, strict) = (self.limits.message_size, self.limits.bare_newline == BareNewline::Reject);
        let mut live = self.live.take().unwrap_or_else(|| {
            let data = DataReader::new(size_limit);
            let data = if strict { data.stopping_at_bare_lf() } else { data };
            Box::new(LiveInput { lines: LineReader::new(COMMAND_LINE_MAX), data })
        });
        let tls_before = self.tls;
        while !input.is_empty() && self.state != State::Closed {
            // RFC 3207 §6: after `220 Ready to start TLS` nothing sent in the
            // clear may count (the STARTTLS command injection of 2011,
            // CVE-2011-0411): what followed in the same bytes is dropped.
            if self.tls && !tls_before {
                break;
            }
            if self.state == State::Data {
                let Some(end) = live.data.feed(&mut input) else { break };
                if strict && end.bare_lf {
                    self.bare_newline(&mut out);
                    break;
                }
                self.end_of_data(end, env, queue_id, &mut out);
                continue;
            }
            let Some(line) = live.lines.next_line(&mut input) else { break };
            if strict && line.ending == Ending::BareLf {
                self.bare_newline(&mut out);
                break;
            }
            if line.too_long {
                // RFC 5321 §4.5.3.1.4; an AUTH exchange ends too.
                if matches!(self.state, State::Auth(_)) {
                    self.set_state(State::Ready);
                }
                self.answered(Reply::new(500, text::LINE_TOO_LONG), &mut out);
                continue;
            }
            if let State::Auth(step) = self.state.clone() {
                self.auth_line(step, &line.text, env, queue_id, &mut out);
                continue;
            }
            match parse_command(&line.text) {
                Ok(Request::Command(cmd)) => self.command(&cmd, env, queue_id, &mut out),
                Ok(Request::AuthChallenge(mech)) => {
                    let in_transaction = matches!(self.state, State::Mail | State::Rcpt);
                    match self.auth_refusal(env, in_transaction) {
                        Some(refusal) => self.answered(refusal, &mut out),
                        None => {
                            // RFC 4954 §4: 334 and a (base64) challenge.
                            let (step, challenge) = match mech {
                                Mechanism::Plain => (AuthStep::Plain, ""),
                                Mechanism::Login => (AuthStep::LoginUser, "VXNlcm5hbWU6"), // "Username:"
                            };
                            self.set_state(State::Auth(step));
                            out.replies.push(Reply::new(334, challenge));
                        }
                    }
                }
                Err(e) if e.closes() => {
                    out.replies.push(e.reply());
                    self.set_state(State::Closed);
                    out.close = true;
                }
                Err(e) => self.answered(e.reply(), &mut out),
            }
        }
        if self.tls && !tls_before {
            live.lines = LineReader::new(COMMAND_LINE_MAX);
        }
        self.live = Some(live);
        self.arm(now);
        out.close |= self.state == State::Closed;
        out
    }

    /// Postfix `smtpd_forbid_bare_newline = reject`: refuse and hang up.
    fn bare_newline(&mut self, out: &mut Output) {
        out.replies.push(Reply::new(521, format!("5.5.2 {} Error: bare <LF> received", self.texts.hostname)));
        self.set_state(State::Closed);
        out.close = true;
    }

    /// A line answering `334` (RFC 4954 §4).
    fn auth_line(&mut self, step: AuthStep, line: &[u8], env: &mut dyn ServerEnv, queue_id: &str, out: &mut Output) {
        let decoded = match parse::auth_response(line) {
            Ok(d) => d,
            Err(e) => {
                self.set_state(State::Ready);
                return self.answered(e.reply(), out);
            }
        };
        let cmd = match step {
            AuthStep::Plain => {
                self.set_state(State::Ready);
                parse::plain_message(&decoded)
            }
            AuthStep::LoginUser => {
                self.set_state(State::Auth(AuthStep::LoginPassword { user: String::from_utf8_lossy(&decoded).into() }));
                out.replies.push(Reply::new(334, "UGFzc3dvcmQ6")); // "Password:"
                return;
            }
            AuthStep::LoginPassword { user } => {
                self.set_state(State::Ready);
                Command::Auth { user, password: String::from_utf8_lossy(&decoded).into() }
            }
        };
        self.command(&cmd, env, queue_id, out);
    }

    /// The end marker arrived: refuse an oversized message or one with an
    /// over-long line, else hand it to the state machine as `Content`.
    fn end_of_data(&mut self, end: DataEnd, env: &mut dyn ServerEnv, queue_id: &str, out: &mut Output) {
        let refusal = if end.bytes > self.limits.message_size {
            Some(Reply::new(552, text::SIZE_EXCEEDED)) // RFC 1870 §6.3
        } else if end.line_too_long {
            Some(Reply::new(500, text::LINE_TOO_LONG)) // RFC 5321 §4.5.3.1.6
        } else {
            None
        };
        if let Some(r) = refusal {
            let next = self.idle();
            self.set_state(next);
            return self.answered(r, out);
        }
        let bytes = u32::try_from(end.bytes).unwrap_or(u32::MAX);
        let before = out.replies.len();
        self.command(&Command::Content { bytes }, env, queue_id, out);
        if out.replies.get(before).is_some_and(|r| r.code == 250) {
            out.accepted.push(end.content);
            out.envelopes.push(Envelope { mail_from: self.mail_from.clone(), rcpts: self.rcpt_list.clone() });
        }
    }

    fn rcpt(&mut self, rcpt: &str, env: &mut dyn ServerEnv) -> Reply {
        let domain = rcpt.rsplit_once('@').map_or("", |(_, d)| d);
        let local = env.is_local_domain(domain);
        // Postfix's smtpd_reject_unlisted_recipient applies to every client.
        if local && env.mailbox_exists(rcpt) == Some(false) {
            return Reply::user_unknown(rcpt);
        }
        let order: smallvec::SmallVec<[Restriction; 8]> = env.restrictions().iter().copied().collect();
        // postgrey's DEFER_IF_PERMIT: a deferral that applies only if the
        // request is then permitted (explicitly, or by the end of the list).
        let mut defer_if_permit = None;
        for r in order {
            match r {
                // permit_mynetworks (and POP-before-SMTP's access map).
                Restriction::PermitMynetworks if self.relay_grant.is_some() => break,
                Restriction::PermitSaslAuthenticated if self.auth_user.is_some() => break,
                // Postfix: `relay_domains` pass reject_unauth_destination too.
                Restriction::RejectUnauthDestination if !local && !env.relays_for(domain) => {
                    return Reply::relay_denied(rcpt);
                }
                // check_policy_service: SPF, once per transaction.
                Restriction::CheckSpf if self.spf.is_none() => {
                    if let Some((result, action)) = env.spf(self.client_ip, &self.helo, &self.mail_from) {
                        let refusal = crate::sim::defense::spf_check::refusal(&result, action, &self.mail_from);
                        self.spf = Some(result);
                        if let Some(r) = refusal {
                            return r;
                        }
                    }
                }
                Restriction::CheckGreylist => match env.greylist(self.client_ip, &self.mail_from, rcpt) {
                    Some(GreylistVerdict::Defer) => defer_if_permit = Some(Reply::greylisted(rcpt)),
                    Some(GreylistVerdict::Pass { delayed_s }) if delayed_s > 0 => self.greylist_delay = Some(delayed_s),
                    _ => {}
                },
                // reject_rbl_client: a listed client is refused for good.
                Restriction::RejectRblClient => {
                    if let Some((zone, reason)) = env.blocklisted(self.client_ip) {
                        return Reply::blocklisted(self.client_ip, &zone, &reason);
                    }
                }
                // reject_unverified_sender: a callback to the sender's MX.
                Restriction::RejectUnverifiedSender => {
                    if let Some(r) = env.verify_sender(self.client_ip, &self.mail_from) {
                        return r;
                    }
                }
                // お馴染さん方式 (seed 003): the address alone; DEFER_IF_PERMIT like postgrey.
                // (The lookup records the contact, so it comes first.)
                Restriction::CheckFamiliar
                    if env.familiar(self.client_ip) == Some(FamiliarVerdict::Defer) && defer_if_permit.is_none() =>
                {
                    defer_if_permit = Some(Reply::first_contact(rcpt, self.client_ip));
                }
                _ => {}
            }
        }
        defer_if_permit.unwrap_or_else(Reply::recipient_ok)
    }
}

#[cfg(test)]
mod tests {
    use super::super::MailParams;
    use super::*;

    /// A company MX: local domain, one user, optional accounts.
    struct Company {
        accounts: bool,
    }
    impl ServerEnv for Company {
        fn is_local_domain(&self, d: &str) -> bool {
            d == "company.example"
        }
        fn mailbox_exists(&self, a: &str) -> Option<bool> {
            Some(a == "bob@company.example")
        }
        fn auth_offered(&self) -> bool {
            self.accounts
        }
        fn check_credentials(&mut self, u: &str, p: &str) -> bool {
            u == "bob" && p == "pw"
        }
        fn within_rate_limit(&mut self, _: &str) -> bool {
            true
        }
        fn spf(&mut self, _: Ipv4Addr, _: &str, _: &str) -> Option<(SpfResult, SpfAction)> {
            None
        }
        fn greylist(&mut self, _: Ipv4Addr, _: &str, _: &str) -> Option<GreylistVerdict> {
            None
        }
    }

    fn server(port: u16, grant: Option<RelayGrant>) -> ServerSession {
        ServerSession::new(ServerTexts::new("mx.company.example"), port, true, "198.51.100.7".parse().unwrap(), grant)
    }

    /// A session that has said EHLO and MAIL FROM.
    fn in_transaction(port: u16, grant: Option<RelayGrant>, env: &mut Company) -> ServerSession {
        let mut s = server(port, grant);
        assert_eq!(s.respond(&Command::Ehlo("pc".into()), env, "X").code, 250);
        assert_eq!(s.respond(&Command::MailFrom("a@x.example".into(), MailParams::default()), env, "X").code, 250);
        s
    }

    #[test]
    fn local_mail_is_accepted_from_anyone_but_relaying_is_not() {
        let mut env = Company { accounts: false };
        let mut s = in_transaction(25, None, &mut env);
        assert_eq!(s.respond(&Command::RcptTo("bob@company.example".into()), &mut env, "X").code, 250);
        let r = s.respond(&Command::RcptTo("eve@elsewhere.example".into()), &mut env, "X");
        assert_eq!(r.to_string(), "554 5.7.1 <eve@elsewhere.example>: Relay access denied");
        assert_eq!(refusal_reason(&r), "relay_denied");
        let mut s = in_transaction(25, Some(RelayGrant::MyNetworks), &mut env);
        assert_eq!(s.respond(&Command::RcptTo("eve@elsewhere.example".into()), &mut env, "X").code, 250);
    }

    #[test]
    fn unknown_local_users_get_550_5_1_1() {
        let mut env = Company { accounts: false };
        let r = in_transaction(25, None, &mut env).respond(
            &Command::RcptTo("nobody@company.example".into()),
            &mut env,
            "X",
        );
        assert_eq!(r.code, 550);
        assert!(r.text.starts_with("5.1.1 <nobody@company.example>"));
        assert_eq!(refusal_reason(&r), "user_unknown");
    }

    #[test]
    fn refusals_are_counted_by_the_reason_they_carry() {
        let cases = [
            (Reply::greylisted("a@b.example"), "greylisted"),
            (Reply::rate_limited("u"), "rate_limited"),
            (Reply::tls_first(), "tls_required"),
            (Reply::auth_required(), "auth_required"),
            (Reply::auth_failed(), "auth_failed"),
            (Reply::service_unavailable("mx"), "unavailable"),
            // A reason is data, never read from the text.
            (Reply::new(550, "5.7.1 SPF says User unknown"), "other_permanent"),
            (Reply::new(451, "4.3.0 try again"), "other_temporary"),
        ];
        for (reply, reason) in cases {
            assert_eq!(refusal_reason(&reply), reason, "{reply}");
        }
    }

    #[test]
    fn a_down_server_greets_with_421() {
        let s = ServerSession { available: false, ..server(25, None) };
        assert_eq!(s.greet().code, 421);
    }

    #[test]
    fn submission_requires_tls_then_auth_before_mail() {
        let mut env = Company { accounts: true };
        let mut s = server(587, None);
        let ehlo = s.respond(&Command::Ehlo("pc".into()), &mut env, "X");
        assert!(ehlo.offers("STARTTLS") && !ehlo.offers("AUTH"), "no AUTH before TLS on submission");
        assert_eq!(
            s.respond(&Command::MailFrom("bob@company.example".into(), MailParams::default()), &mut env, "X")
                .to_string(),
            "530 5.7.0 Authentication required"
        );
        let auth = Command::Auth { user: "bob".into(), password: "pw".into() };
        assert_eq!(s.respond(&auth, &mut env, "X").to_string(), "530 5.7.0 Must issue a STARTTLS command first");
        assert_eq!(s.respond(&Command::StartTls, &mut env, "X").code, 220);
        assert!(s.respond(&Command::Ehlo("pc".into()), &mut env, "X").offers("AUTH"));
        let bad = Command::Auth { user: "bob".into(), password: "guess".into() };
        assert_eq!(s.respond(&bad, &mut env, "X").to_string(), "535 5.7.8 Authentication credentials invalid");
        assert_eq!(s.respond(&auth, &mut env, "X").to_string(), "235 2.7.0 Authentication successful");
        assert_eq!(
            s.respond(&Command::MailFrom("bob@company.example".into(), MailParams::default()), &mut env, "X").code,
            250
        );
        assert_eq!(
            s.respond(&Command::RcptTo("eve@elsewhere.example".into()), &mut env, "X").code,
            250,
            "authenticated: may relay"
        );
        assert_eq!(s.protocol(), "ESMTPSA");
    }

    // ----- dialogues over bytes (the live path), smoltcp style ----------

    /// A live session fed with bytes; `send` gives the replies as text.
    struct Dialogue {
        s: ServerSession,
        env: Company,
        now: SimTime,
        closed: bool,
        accepted: Vec<Vec<u8>>,
    }

    impl Dialogue {
        fn new(port: u16) -> Self {
            Self::with(server(port, None), true)
        }
        fn with(mut s: ServerSession, accounts: bool) -> Self {
            let out = s.open(0);
            assert_eq!(out.replies.len(), 1);
            Dialogue { s, env: Company { accounts }, now: 0, closed: out.close, accepted: Vec::new() }
        }
        /// Sends raw bytes; returns every reply line.
        fn raw(&mut self, bytes: &[u8]) -> Vec<String> {
            assert!(!self.closed, "sent to a closed session");
            let out = self.s.receive(self.now, bytes, &mut self.env, "QID");
            self.closed = out.close;
            self.accepted.extend(out.accepted);
            out.replies.iter().map(|r| r.last_line()).collect()
        }
        /// Sends one command line with CRLF.
        fn send(&mut self, line: &str) -> Vec<String> {
            self.raw(format!("{line}\r\n").as_bytes())
        }
    }

    /// `send!(d, "COMMAND" => "reply")`: one line, exactly one reply, compared by its last line.
    macro_rules! send {
        ($d:expr, $line:expr => $reply:expr) => {{
            let got = $d.send($line);
            assert_eq!(got, vec![$reply.to_string()], "after {:?} in {}", $line, $d.s.state());
        }};
    }
    /// `expect_state!(d, State::X)`.
    macro_rules! expect_state {
        ($d:expr, $state:expr) => {
            assert_eq!($d.s.state(), &$state)
        };
    }

    /// A dialogue that has said EHLO and MAIL FROM.
    fn in_mail() -> Dialogue {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc.example" => "250 DSN");
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
        expect_state!(d, State::Mail);
        d
    }
    /// A dialogue with one accepted recipient.
    fn in_rcpt() -> Dialogue {
        let mut d = in_mail();
        send!(d, "RCPT TO:<bob@company.example>" => "250 2.1.5 Ok");
        expect_state!(d, State::Rcpt);
        d
    }

    #[test]
    fn a_whole_dialogue_over_bytes() {
        let mut d = in_rcpt();
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
        expect_state!(d, State::Data);
        assert_eq!(d.raw(b"Subject: hi\r\n\r\n..dot\r\n.\r\n"), ["250 2.0.0 Ok: queued as QID"]);
        assert_eq!(d.accepted, [b"Subject: hi\r\n\r\n.dot\r\n".to_vec()]);
        expect_state!(d, State::Ready);
        send!(d, "QUIT" => "221 2.0.0 Bye");
        expect_state!(d, State::Closed);
        assert!(d.closed);
    }

    // Init ---------------------------------------------------------------

    #[test]
    fn init_mail_without_helo_is_allowed_as_postfix_does_by_default() {
        let mut d = Dialogue::new(25);
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
        expect_state!(d, State::Mail);
        send!(d, "RSET" => "250 2.0.0 Ok");
        expect_state!(d, State::Init);
    }

    #[test]
    fn init_mail_before_helo_where_helo_is_required() {
        let mut s = server(25, None);
        s.limits.helo_required = true;
        let mut d = Dialogue::with(s, false);
        send!(d, "MAIL FROM:<a@x.example>" => "503 5.5.1 Error: send HELO/EHLO first");
        expect_state!(d, State::Init);
        send!(d, "HELO pc" => "250 mx.company.example");
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
    }

    #[test]
    fn init_rcpt_and_data_need_a_transaction() {
        let mut d = Dialogue::new(25);
        send!(d, "RCPT TO:<bob@company.example>" => "503 5.5.1 Error: need MAIL command");
        send!(d, "DATA" => "503 5.5.1 Error: need RCPT command");
        expect_state!(d, State::Init);
    }

    #[test]
    fn init_auth_needs_ehlo_first() {
        let mut d = Dialogue::new(25);
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "503 5.5.1 Error: send HELO/EHLO first");
        send!(d, "AUTH LOGIN" => "503 5.5.1 Error: send HELO/EHLO first");
    }

    #[test]
    fn helo_and_ehlo_answer_differently() {
        let mut d = Dialogue::new(25);
        assert_eq!(d.send("HELO pc"), ["250 mx.company.example"]);
        let ehlo = d.s.receive(0, b"EHLO pc\r\n", &mut d.env, "Q").replies;
        assert!(ehlo[0].offers("PIPELINING") && ehlo[0].offers("8BITMIME") && ehlo[0].offers("ENHANCEDSTATUSCODES"));
        assert!(ehlo[0].offers("SIZE") && ehlo[0].text.contains("SIZE 10240000"));
        expect_state!(d, State::Ready);
    }

    // Ready --------------------------------------------------------------

    #[test]
    fn ready_noop_and_rset_change_nothing() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "NOOP" => "250 2.0.0 Ok");
        send!(d, "NOOP with text" => "250 2.0.0 Ok");
        send!(d, "RSET" => "250 2.0.0 Ok");
        expect_state!(d, State::Ready);
    }

    #[test]
    fn ready_rcpt_before_mail() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "RCPT TO:<bob@company.example>" => "503 5.5.1 Error: need MAIL command");
        expect_state!(d, State::Ready);
    }

    #[test]
    fn ready_data_before_mail() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "DATA" => "503 5.5.1 Error: need RCPT command");
    }

    #[test]
    fn ready_declared_size_over_the_limit() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "MAIL FROM:<a@x.example> SIZE=10240001" => "552 5.3.4 Message size exceeds fixed limit");
        expect_state!(d, State::Ready);
        send!(d, "MAIL FROM:<a@x.example> SIZE=10240000 BODY=8BITMIME" => "250 2.1.0 Ok");
    }

    #[test]
    fn ready_starttls_then_the_greeting_is_forgotten() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "STARTTLS" => "220 2.0.0 Ready to start TLS");
        expect_state!(d, State::Init);
        assert!(d.s.helo.is_empty(), "RFC 3207 §4.2");
        send!(d, "STARTTLS" => "554 5.5.1 Error: TLS already active");
    }

    #[test]
    fn ready_starttls_drops_what_was_pipelined_in_the_clear() {
        // RFC 3207 §6 (CVE-2011-0411): commands sent with STARTTLS, before
        // the handshake, are not executed afterwards.
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        let replies = d.raw(b"STARTTLS\r\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<bob@comp");
        assert_eq!(replies, ["220 2.0.0 Ready to start TLS"]);
        // The half line was dropped too: the next (encrypted) command starts clean.
        send!(d, "EHLO pc" => "250 DSN");
        expect_state!(d, State::Ready);
    }

    #[test]
    fn ready_starttls_where_tls_is_not_configured() {
        let mut s = server(25, None);
        s.tls_available = false;
        let mut d = Dialogue::with(s, false);
        send!(d, "STARTTLS" => "502 5.5.1 Error: command not implemented");
    }

    #[test]
    fn ready_auth_where_there_are_no_accounts() {
        let mut d = Dialogue::with(server(25, None), false);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "503 5.5.1 Error: authentication not enabled");
    }

    // Auth ---------------------------------------------------------------

    #[test]
    fn auth_plain_with_an_initial_response_then_once_only() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "235 2.7.0 Authentication successful");
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "503 5.5.1 Error: already authenticated");
        assert_eq!(d.s.protocol(), "ESMTPA");
    }

    #[test]
    fn auth_plain_by_challenge() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "AUTH PLAIN" => "334 ");
        expect_state!(d, State::Auth(AuthStep::Plain));
        send!(d, "AGJvYgBndWVzcw==" => "535 5.7.8 Authentication credentials invalid");
        expect_state!(d, State::Ready);
    }

    #[test]
    fn auth_login_asks_for_user_then_password() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "AUTH LOGIN" => "334 VXNlcm5hbWU6");
        send!(d, "Ym9i" => "334 UGFzc3dvcmQ6");
        expect_state!(d, State::Auth(AuthStep::LoginPassword { user: "bob".into() }));
        send!(d, "cHc=" => "235 2.7.0 Authentication successful");
        expect_state!(d, State::Ready);
    }

    #[test]
    fn auth_cancelled_or_garbled() {
        let mut d = Dialogue::new(25);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "AUTH LOGIN" => "334 VXNlcm5hbWU6");
        send!(d, "*" => "501 5.7.0 Authentication aborted");
        expect_state!(d, State::Ready);
        send!(d, "AUTH PLAIN" => "334 ");
        send!(d, "not base64!" => "501 5.5.2 Invalid base64 data in initial response");
        send!(d, "AUTH PLAIN =" => "535 5.7.8 Authentication credentials invalid");
        send!(d, "AUTH CRAM-MD5" => "504 5.5.4 Unrecognized authentication type");
        send!(d, "AUTH" => "501 5.5.4 Syntax: AUTH mechanism");
        assert_eq!(d.s.errors(), 5);
    }

    #[test]
    fn auth_on_submission_needs_tls_first() {
        let mut d = Dialogue::new(587);
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "MAIL FROM:<bob@company.example>" => "530 5.7.0 Authentication required");
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "530 5.7.0 Must issue a STARTTLS command first");
        send!(d, "AUTH LOGIN" => "530 5.7.0 Must issue a STARTTLS command first");
        send!(d, "STARTTLS" => "220 2.0.0 Ready to start TLS");
        send!(d, "EHLO pc" => "250 DSN");
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "235 2.7.0 Authentication successful");
        send!(d, "MAIL FROM:<bob@company.example>" => "250 2.1.0 Ok");
        send!(d, "RCPT TO:<eve@elsewhere.example>" => "250 2.1.5 Ok");
    }

    // Mail ---------------------------------------------------------------

    #[test]
    fn mail_nested_mail_is_refused() {
        let mut d = in_mail();
        send!(d, "MAIL FROM:<c@x.example>" => "503 5.5.1 Error: nested MAIL command");
        expect_state!(d, State::Mail);
    }

    #[test]
    fn mail_data_without_an_accepted_recipient() {
        // The old server answered 354 here.
        let mut d = in_mail();
        send!(d, "RCPT TO:<eve@elsewhere.example>" => "554 5.7.1 <eve@elsewhere.example>: Relay access denied");
        expect_state!(d, State::Mail);
        send!(d, "DATA" => "554 5.5.1 Error: no valid recipients");
        expect_state!(d, State::Mail);
    }

    #[test]
    fn mail_starttls_and_auth_wait_for_the_transaction() {
        let mut d = in_mail();
        send!(d, "STARTTLS" => "503 5.5.1 Error: MAIL transaction in progress");
        send!(d, "AUTH PLAIN AGJvYgBwdw==" => "503 5.5.1 Error: MAIL transaction in progress");
    }

    #[test]
    fn mail_rset_and_ehlo_abort_the_transaction() {
        let mut d = in_mail();
        send!(d, "RSET" => "250 2.0.0 Ok");
        expect_state!(d, State::Ready);
        assert!(d.s.mail_from.is_empty());
        let mut d = in_rcpt();
        send!(d, "EHLO again" => "250 DSN");
        expect_state!(d, State::Ready);
        send!(d, "DATA" => "503 5.5.1 Error: need RCPT command");
    }

    #[test]
    fn mail_syntax_errors_keep_the_state() {
        let mut d = in_mail();
        send!(d, "RCPT TO:bob" => "501 5.1.3 Bad recipient address syntax");
        send!(d, "RCPT bob@company.example" => "501 5.5.4 Syntax: RCPT TO:<address>");
        send!(d, "RCPT TO:<bob@company.example> FOO=1" => "555 5.5.4 Unsupported option: FOO=1");
        expect_state!(d, State::Mail);
    }

    // Rcpt ---------------------------------------------------------------

    #[test]
    fn rcpt_more_recipients_and_the_limit() {
        let mut s = server(25, None);
        s.limits.recipients = 2;
        let mut d = Dialogue::with(s, false);
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
        send!(d, "RCPT TO:<bob@company.example>" => "250 2.1.5 Ok");
        send!(d, "RCPT TO:<bob@company.example>" => "250 2.1.5 Ok");
        send!(d, "RCPT TO:<bob@company.example>" => "452 4.5.3 Error: too many recipients");
        expect_state!(d, State::Rcpt);
        // A new transaction counts again.
        send!(d, "RSET" => "250 2.0.0 Ok");
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
        send!(d, "RCPT TO:<bob@company.example>" => "250 2.1.5 Ok");
    }

    #[test]
    fn rcpt_a_refused_recipient_keeps_the_accepted_ones() {
        let mut d = in_rcpt();
        send!(d, "RCPT TO:<nobody@company.example>" => "550 5.1.1 <nobody@company.example>: Recipient address rejected: User unknown in local recipient table");
        expect_state!(d, State::Rcpt);
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
    }

    #[test]
    fn rcpt_nested_mail() {
        let mut d = in_rcpt();
        send!(d, "MAIL FROM:<c@x.example>" => "503 5.5.1 Error: nested MAIL command");
    }

    // Data ---------------------------------------------------------------

    #[test]
    fn data_commands_inside_the_content_are_content() {
        let mut d = in_rcpt();
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
        assert!(d.send("QUIT").is_empty(), "a line of the message, not a command");
        expect_state!(d, State::Data);
        assert_eq!(d.raw(b".\r\n"), ["250 2.0.0 Ok: queued as QID"]);
        assert_eq!(d.accepted, [b"QUIT\r\n".to_vec()]);
    }

    #[test]
    fn data_too_big_is_refused_after_the_dot() {
        let mut s = server(25, None);
        s.limits.message_size = 10;
        let mut d = Dialogue::with(s, false);
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
        send!(d, "RCPT TO:<bob@company.example>" => "250 2.1.5 Ok");
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
        assert_eq!(d.raw(b"0123456789\r\n.\r\n"), ["552 5.3.4 Message size exceeds fixed limit"]);
        expect_state!(d, State::Init);
        assert!(d.accepted.is_empty());
    }

    #[test]
    fn data_with_an_over_long_line_is_refused() {
        let mut d = in_rcpt();
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
        let mut body = vec![b'x'; 1200];
        body.extend_from_slice(b"\r\n.\r\n");
        assert_eq!(d.raw(&body), ["500 5.5.0 Error: line too long"]);
        expect_state!(d, State::Ready);
    }

    #[test]
    fn data_bare_lf_dot_does_not_end_the_message() {
        let mut d = in_rcpt();
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
        // SMTP smuggling: <LF>.<LF> then a second MAIL FROM must stay content.
        assert!(d.raw(b"hi\n.\nMAIL FROM:<forged@x.example>\r\n").is_empty());
        assert_eq!(d.raw(b".\r\n"), ["250 2.0.0 Ok: queued as QID"]);
        assert_eq!(d.accepted, [b"hi\r\n\r\nMAIL FROM:<forged@x.example>\r\n".to_vec()]);
    }

    #[test]
    fn typed_content_outside_data_and_commands_inside_it() {
        let mut env = Company { accounts: false };
        let mut s = server(25, None);
        assert_eq!(s.respond(&Command::Content { bytes: 5 }, &mut env, "X").code, 502);
        let mut s = in_transaction(25, None, &mut env);
        s.respond(&Command::RcptTo("bob@company.example".into()), &mut env, "X");
        assert_eq!(s.respond(&Command::Data, &mut env, "X").code, 354);
        assert_eq!(s.respond(&Command::Noop, &mut env, "X").code, 503);
        assert_eq!(s.respond(&Command::Content { bytes: 5 }, &mut env, "X").to_string(), "250 2.0.0 Ok: queued as X");
    }

    // Any state ----------------------------------------------------------

    #[test]
    fn pipelined_commands_are_answered_in_order() {
        let mut d = Dialogue::new(25);
        let got = d.raw(
            b"EHLO pc\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<bob@company.example>\r\nDATA\r\nbody\r\n.\r\nQUIT\r\n",
        );
        assert_eq!(
            got,
            [
                "250 DSN",
                "250 2.1.0 Ok",
                "250 2.1.5 Ok",
                "354 End data with <CR><LF>.<CR><LF>",
                "250 2.0.0 Ok: queued as QID",
                "221 2.0.0 Bye"
            ]
        );
        assert!(d.closed);
    }

    #[test]
    fn a_command_split_across_reads_waits_for_its_line_end() {
        let mut d = Dialogue::new(25);
        assert!(d.raw(b"EH").is_empty());
        assert!(d.raw(b"LO pc\r").is_empty());
        assert_eq!(d.raw(b"\n"), ["250 DSN"]);
    }

    #[test]
    fn bare_lf_ends_a_command_line_as_postfix_accepts() {
        let mut d = Dialogue::new(25);
        assert_eq!(d.raw(b"HELO pc\nNOOP\n"), ["250 mx.company.example", "250 2.0.0 Ok"]);
    }

    #[test]
    fn bare_lf_where_the_server_rejects_it() {
        let strict = || {
            let mut s = server(25, None);
            s.limits.bare_newline = BareNewline::Reject;
            Dialogue::with(s, false)
        };
        let mut d = strict();
        send!(d, "HELO pc" => "250 mx.company.example");
        assert_eq!(d.raw(b"NOOP\n"), ["521 5.5.2 mx.company.example Error: bare <LF> received"]);
        assert!(d.closed);
        let mut d = strict();
        send!(d, "MAIL FROM:<a@x.example>" => "250 2.1.0 Ok");
        send!(d, "RCPT TO:<bob@company.example>" => "250 2.1.5 Ok");
        send!(d, "DATA" => "354 End data with <CR><LF>.<CR><LF>");
        assert_eq!(d.raw(b"ok\r\nbare\n.\r\n"), ["521 5.5.2 mx.company.example Error: bare <LF> received"]);
        assert!(d.closed && d.accepted.is_empty());
    }

    #[test]
    fn unknown_empty_and_long_lines() {
        let mut d = Dialogue::new(25);
        send!(d, "XYZZY" => "502 5.5.2 Error: command not recognized");
        send!(d, "" => "500 5.5.2 Error: bad syntax");
        send!(d, &format!("NOOP {}", "x".repeat(600)) => "500 5.5.0 Error: line too long");
        send!(d, "MAIL FROM:" => "501 5.5.4 Syntax: MAIL FROM:<address>");
        send!(d, "EHLO" => "501 Syntax: EHLO hostname");
        expect_state!(d, State::Init);
        assert_eq!(d.s.errors(), 5);
    }

    #[test]
    fn quit_from_every_state() {
        for mut d in [Dialogue::new(25), in_mail(), in_rcpt()] {
            send!(d, "QUIT" => "221 2.0.0 Bye");
            assert!(d.closed);
        }
    }

    #[test]
    fn a_web_request_is_hung_up_on() {
        let mut d = Dialogue::new(25);
        assert_eq!(d.raw(b"GET / HTTP/1.1\r\nHost: mx\r\n\r\n"), ["221 2.7.0 Error: I can break rules, too. Goodbye."]);
        assert!(d.closed);
        expect_state!(d, State::Closed);
    }

    #[test]
    fn the_hard_error_limit_disconnects() {
        let mut d = Dialogue::new(25);
        for _ in 0..19 {
            send!(d, "XYZZY" => "502 5.5.2 Error: command not recognized");
        }
        assert_eq!(
            d.send("XYZZY"),
            ["502 5.5.2 Error: command not recognized", "421 4.7.0 mx.company.example Error: too many errors"]
        );
        assert!(d.closed);
    }

    #[test]
    fn a_silent_client_times_out() {
        let mut d = Dialogue::new(25);
        assert_eq!(d.s.poll_at(), Some(300_000), "Postfix smtpd_timeout, RFC 5321 §4.5.3.2.7");
        d.now = 100_000;
        send!(d, "EHLO pc" => "250 DSN");
        assert_eq!(d.s.poll_at(), Some(400_000), "each input restarts the timer");
        assert!(d.s.on_timer(399_999).replies.is_empty());
        let out = d.s.on_timer(400_000);
        assert_eq!(out.replies[0].to_string(), "421 4.4.2 mx.company.example Error: timeout exceeded");
        assert!(out.close);
        assert_eq!(d.s.poll_at(), None);
        expect_state!(d, State::Closed);
    }

    #[test]
    fn a_down_server_closes_at_once() {
        let s = ServerSession { available: false, state: State::Closed, ..server(25, None) };
        let d = Dialogue::with(s, false);
        assert!(d.closed);
        assert_eq!(d.s.poll_at(), None);
    }

    #[test]
    fn a_closed_session_reads_nothing() {
        let mut d = Dialogue::new(25);
        send!(d, "QUIT" => "221 2.0.0 Bye");
        let out = d.s.receive(0, b"NOOP\r\n", &mut d.env, "Q");
        assert!(out.replies.is_empty() && out.close);
    }

    // ----- one machine, two paths ------------------------------------------

    /// A typed command as a live client would send it.
    fn wire(cmd: &Command) -> Vec<u8> {
        match cmd {
            Command::Content { bytes } => {
                let mut body = b"Subject: test\r\n\r\n".to_vec();
                while body.len() + 2 < *bytes as usize {
                    body.push(b'x');
                }
                body.extend_from_slice(b"\r\n.\r\n");
                body
            }
            other => format!("{other}\r\n").into_bytes(),
        }
    }

    /// The simulated client's whole dialogue, answered once through
    /// `respond` (typed) and once through `receive` (bytes): the same replies.
    #[test]
    fn the_typed_and_the_byte_paths_give_the_same_replies() {
        use super::super::{Action, ClientSession};
        use crate::scenario::Credentials;
        for (port, creds, rcpt) in [
            (25, None, "bob@company.example"),
            (25, None, "eve@elsewhere.example"),
            (25, None, "nobody@company.example"),
            (587, Some(("bob", "pw")), "eve@elsewhere.example"),
            (587, Some(("bob", "guess")), "eve@elsewhere.example"),
            (465, Some(("bob", "pw")), "bob@company.example"),
        ] {
            let mut client = ClientSession::new("pc".into(), "a@x.example".into(), rcpt.into(), 300);
            client.starttls = port == 587;
            client.credentials = creds.map(|(u, p)| Credentials { user: u.into(), password: p.into() });
            let (mut typed, mut live) = (server(port, None), server(port, None));
            let (mut env_t, mut env_l) = (Company { accounts: true }, Company { accounts: true });
            let mut reply = live.open(0).replies.remove(0);
            assert_eq!(reply, typed.greet());
            let mut steps = 0;
            while let Action::Send(cmd) = client.on_reply(&reply) {
                let t = typed.respond(&cmd, &mut env_t, "QID");
                let l = live.receive(0, &wire(&cmd), &mut env_l, "QID");
                assert_eq!(l.replies, vec![t.clone()], "port {port}, {cmd}");
                assert_eq!(typed.state(), live.state(), "port {port}, {cmd}");
                reply = t;
                steps += 1;
            }
            assert!(steps >= 2, "port {port}: the dialogue went somewhere");
        }
    }
}
