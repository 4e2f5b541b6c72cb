//! The receiving side's decisions, as Postfix's `smtpd` makes them.
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

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::{Command, Reply};
use crate::scenario::{Restriction, SpfAction};
use crate::sim::defense::greylist::GreylistVerdict;
use crate::sim::message::Address;
use crate::sim::spf::SpfResult;

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

/// The server's side of one session.
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
        }
    }

    /// The reply to a new connection.
    pub fn greet(&self) -> Reply {
        if self.available { self.texts.greeting.clone() } else { Reply::service_unavailable(&self.texts.hostname) }
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

    /// The reply to `cmd`; `queue_id` names the message if it is accepted.
    pub fn respond(&mut self, cmd: &Command, env: &mut dyn ServerEnv, queue_id: &str) -> Reply {
        let submission = matches!(self.role, PortRole::Submission { .. });
        match cmd {
            Command::Ehlo(h) => {
                self.helo = h.clone();
                // Postfix on submission sets smtpd_tls_auth_only: AUTH only after TLS.
                let auth = env.auth_offered() && (self.tls || !submission);
                self.texts.ehlo(self.tls_available && !self.tls, auth)
            }
            Command::StartTls if self.tls => Reply::new(554, "5.5.1 Error: TLS already active"),
            Command::StartTls => {
                self.tls = true;
                Reply::ready_for_tls()
            }
            Command::Auth { user, password } => {
                if !env.auth_offered() {
                    Reply::auth_not_enabled()
                } else if submission && !self.tls {
                    Reply::tls_first()
                } else if env.check_credentials(user, password) {
                    self.auth_user = Some(user.clone());
                    Reply::auth_ok()
                } else {
                    Reply::auth_failed()
                }
            }
            Command::MailFrom(from) => {
                // RFC 6409 §4.3: the submission server rejects MAIL until authenticated.
                if submission && self.auth_user.is_none() {
                    return Reply::auth_required();
                }
                if let Some(user) = self.auth_user.clone()
                    && !env.within_rate_limit(&user)
                {
                    return Reply::rate_limited(&user);
                }
                self.mail_from = from.clone();
                Reply::sender_ok()
            }
            Command::RcptTo(rcpt) => self.rcpt(rcpt, env),
            Command::Data => Reply::start_data(),
            Command::Content { .. } => Reply::queued(queue_id),
            Command::Quit => Reply::bye(),
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
                Restriction::RejectUnauthDestination if !local => return Reply::relay_denied(rcpt),
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
                _ => {}
            }
        }
        defer_if_permit.unwrap_or_else(Reply::recipient_ok)
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn local_mail_is_accepted_from_anyone_but_relaying_is_not() {
        let mut env = Company { accounts: false };
        let mut s = server(25, None);
        assert_eq!(s.respond(&Command::RcptTo("bob@company.example".into()), &mut env, "X").code, 250);
        let r = s.respond(&Command::RcptTo("eve@elsewhere.example".into()), &mut env, "X");
        assert_eq!(r.to_string(), "554 5.7.1 <eve@elsewhere.example>: Relay access denied");
        assert_eq!(refusal_reason(&r), "relay_denied");
        let mut s = server(25, Some(RelayGrant::MyNetworks));
        assert_eq!(s.respond(&Command::RcptTo("eve@elsewhere.example".into()), &mut env, "X").code, 250);
    }

    #[test]
    fn unknown_local_users_get_550_5_1_1() {
        let r = server(25, None).respond(
            &Command::RcptTo("nobody@company.example".into()),
            &mut Company { accounts: false },
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
            s.respond(&Command::MailFrom("bob@company.example".into()), &mut env, "X").to_string(),
            "530 5.7.0 Authentication required"
        );
        let auth = Command::Auth { user: "bob".into(), password: "pw".into() };
        assert_eq!(s.respond(&auth, &mut env, "X").to_string(), "530 5.7.0 Must issue a STARTTLS command first");
        assert_eq!(s.respond(&Command::StartTls, &mut env, "X").code, 220);
        assert!(s.respond(&Command::Ehlo("pc".into()), &mut env, "X").offers("AUTH"));
        let bad = Command::Auth { user: "bob".into(), password: "guess".into() };
        assert_eq!(s.respond(&bad, &mut env, "X").to_string(), "535 5.7.8 Authentication credentials invalid");
        assert_eq!(s.respond(&auth, &mut env, "X").to_string(), "235 2.7.0 Authentication successful");
        assert_eq!(s.respond(&Command::MailFrom("bob@company.example".into()), &mut env, "X").code, 250);
        assert_eq!(
            s.respond(&Command::RcptTo("eve@elsewhere.example".into()), &mut env, "X").code,
            250,
            "authenticated: may relay"
        );
        assert_eq!(s.protocol(), "ESMTPSA");
    }
}
