//! Callback verification (seed 003 §2.6; Postfix `reject_unverified_sender`,
//! Exim's sender callout): before accepting, the receiving server connects
//! to the MX of the envelope sender's domain and asks whether the sender
//! exists: `EHLO`, `MAIL FROM:<>`, `RCPT TO:<sender>`, `QUIT`.
//!
//! The callout is a real dialogue with the other server's state machine and
//! its defenses (its recipient check, its greylisting, its limits), run at
//! once while the first client waits; its round trips are not added to the
//! first session's time. So a sender site that greylists answers the first
//! callback `450` and its outgoing mail is deferred until a callback comes
//! back after its delay; callbacks for forged senders land on the innocent
//! domain's MX (counted there as `callbacks_received`). Results are cached
//! as Postfix's verify daemon caches them (31 days deliverable, 3 days
//! undeliverable; temporary failures not at all).

use super::bump;
use super::server_env::Env;
use crate::sim::smtp::server::{ServerSession, refusal_reason};
use crate::sim::smtp::{Command, MailParams, Reply};
use crate::sim::world::lowercase;

/// What the sender's MX said about the sender.
enum Verdict {
    Deliverable,
    /// A 5xx to `RCPT TO` (or no such domain), with the detail for the reply.
    Undeliverable(String),
    /// A 4xx, or no MX host could be asked.
    Unverified(String),
}

/// The refusal that a callback for `sender` calls for at `env`'s server
/// (None: verified, the null sender, or no callbacks at this server).
pub(super) fn verify(env: &mut Env, sender: &str) -> Option<Reply> {
    let cfg = env.nodes[env.server].kind.mail_server()?.verify_sender.clone()?;
    // The null sender (a bounce) has no mailbox to ask about.
    if sender.is_empty() {
        return None;
    }
    let key: Box<str> = lowercase(sender).into();
    if let Some(&(ok, until)) = env.nodes[env.server].verify_cache.get(&key)
        && env.now < until
    {
        return (!ok).then(|| Reply::unverified_sender(cfg.reject_code, sender, true, "(cached result)"));
    }
    match callout(env, sender) {
        Verdict::Deliverable => {
            let until = env.now.saturating_add(cfg.positive_ttl.0);
            env.nodes[env.server].verify_cache.insert(key, (true, until));
            None
        }
        Verdict::Undeliverable(detail) => {
            let until = env.now.saturating_add(cfg.negative_ttl.0);
            env.nodes[env.server].verify_cache.insert(key, (false, until));
            Some(Reply::unverified_sender(cfg.reject_code, sender, true, &detail))
        }
        Verdict::Unverified(detail) => Some(Reply::unverified_sender(450, sender, false, &detail)),
    }
}

/// One callout: the sender domain's MX hosts in preference order, the first
/// that answers decides (RFC 5321 §5.1).
fn callout(env: &mut Env, sender: &str) -> Verdict {
    let domain = sender.rsplit_once('@').map_or("", |(_, d)| d).to_string();
    let verifier = env.server;
    env.nodes[verifier].counters.callbacks_made += 1;
    let from_ip = env.nodes[verifier].ip.unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    let helo = env.nodes[verifier].texts.hostname.clone();
    let hosts = env.dns.mx(&domain);
    if hosts.is_empty() {
        return Verdict::Undeliverable(format!(
            "Host or domain name not found. Name service error for name={domain} type=MX: Host not found"
        ));
    }
    let mut last = format!("no MX host of {domain} answered");
    for host in hosts {
        let Some(&ip) = env.dns.a(&host).first() else { continue };
        let Some(v) = env.nodes.iter().position(|n| n.ip == Some(ip) && n.kind.mail_server().is_some()) else {
            continue;
        };
        let node = &env.nodes[v];
        if !node.listens(25) {
            last = format!("connect to {host}[{ip}]:25: Connection refused");
            continue;
        }
        let grant = node.relay_by_address(from_ip);
        let mut s = ServerSession::new(std::sync::Arc::clone(&node.texts), 25, node.available(env.now), from_ip, grant);
        env.nodes[v].counters.sessions_in += 1;
        env.nodes[v].counters.callbacks_received += 1;
        let said = |r: &Reply, stage: &str| format!("host {host}[{ip}] said: {} (in reply to {stage})", r.last_line());
        let greeting = s.greet();
        if !greeting.is_positive() {
            bump(&mut env.nodes[v].counters.refused, refusal_reason(&greeting));
            last = said(&greeting, "the initial greeting");
            continue; // RFC 5321 §5.1: the next MX host
        }
        let mut venv = Env { nodes: &mut *env.nodes, server: v, dns: &mut *env.dns, now: env.now };
        let mut ask = |cmd: Command, venv: &mut Env| {
            let r = s.respond(&cmd, venv, "");
            if !r.is_positive() {
                bump(&mut venv.nodes[v].counters.refused, refusal_reason(&r));
            }
            r
        };
        ask(Command::Ehlo(helo.clone()), &mut venv);
        let mail = ask(Command::MailFrom("".into(), MailParams::default()), &mut venv);
        if !mail.is_positive() {
            return Verdict::Unverified(said(&mail, "MAIL FROM command"));
        }
        let rcpt = ask(Command::RcptTo(sender.into()), &mut venv);
        ask(Command::Quit, &mut venv);
        return match rcpt.code {
            200..=399 => Verdict::Deliverable,
            500.. => Verdict::Undeliverable(said(&rcpt, "RCPT TO command")),
            _ => Verdict::Unverified(said(&rcpt, "RCPT TO command")),
        };
    }
    Verdict::Unverified(last)
}
