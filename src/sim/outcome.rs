//! What happens after a session: the server takes custody (and delivers or
//! queues), or the attempt failed and goes to the retry room (`retry.rs`),
//! which decides whether to retry, move on, bounce or give up. The mechanics
//! shared by both are here: a bounce (DSN) to the envelope sender and a
//! message's end (which a folding run counts at once: `Simulation::settle`).
//!
//! RFC 5321 §4.2.5 and §6.1: once a server says `250` after the content it is
//! responsible for the message; a 4xx leaves it with the client, a 5xx ends
//! the attempt, and a server that accepted a message it cannot deliver must
//! return a bounce to the envelope sender (never for a bounce, §4.5.5).

use super::message::{Fate, Header, Holder, MailClass, Message, MsgId, NewMessage, Received};
use super::retry;
use super::simulation::{Event, Pending, Session, Simulation};
use super::smtp::{Outcome, Reply};
use super::spf;
use super::trace::TraceEvent;
use crate::scenario::NodeKind;
use crate::units::{SECOND, SimTime, Timestamp};
use std::net::IpAddr;
use std::sync::Arc;

/// How a message came in, for its `Received:` line: what the server
/// accepting it knows of the session (simulated or live).
pub(crate) struct Arrival<'a> {
    /// The name the client gave in `EHLO`/`HELO`.
    pub(crate) ehlo: &'a str,
    pub(crate) client_ip: std::net::Ipv4Addr,
    pub(crate) server: &'a super::smtp::server::ServerSession,
    pub(crate) queue_id: &'a str,
    pub(crate) bytes: u64,
}

impl Simulation {
    pub(crate) fn finish(&mut self, sid: u32, mut s: Box<Session>, outcome: Outcome, t: SimTime) {
        let (server, _) = s.targets[s.target];
        // The reply text is for readers (a story, an animation): statistical
        // runs do not format it.
        let result = match &outcome {
            _ if !self.keep_transcripts && !self.trace.is_enabled() => String::new(),
            Outcome::Accepted => Reply::queued(&s.queue_id).to_string(),
            Outcome::Transient(r) | Outcome::Permanent(r) => r.last_line(),
            Outcome::ConnectFailed { reason, .. } => reason.clone(),
        };
        let accepted = outcome == Outcome::Accepted;
        if let Some(h) = self.messages[s.msg.0 as usize].hops.last_mut() {
            h.ended = t;
            h.result = result.clone();
            h.accepted = accepted;
            // Kept for the whole run: no room left over.
            h.said.shrink_to_fit();
        }
        self.trace.push(t, TraceEvent::HopEnded { msg: s.msg, from: s.client_node, to: server, accepted, result });

        // RFC 5321 §5.1: when a connection fails, try the next MX host. A
        // sender with `next_mx_after_4xx` also moves on after any 4xx reply.
        let unreachable = matches!(&outcome, Outcome::ConnectFailed { .. })
            || matches!(&outcome, Outcome::Transient(r) if r.code == 421);
        let moves_on = !unreachable
            && matches!(&outcome, Outcome::Transient(_))
            && self.messages[s.msg.0 as usize].holder == Holder::Node(s.client_node)
            && self.nodes[s.client_node].kind.mail_server().is_some_and(|m| m.next_mx_after_4xx);
        if (unreachable || moves_on) && s.target + 1 < s.targets.len() {
            if moves_on {
                self.nodes[s.client_node].counters.next_mx_after_4xx += 1;
            }
            s.target += 1;
            s.pending = Pending::Connect;
            s.client = s.client.restarted();
            self.sessions[sid as usize] = Some(s);
            self.queue.schedule_in(0, Event::Step(sid));
            return;
        }
        self.sessions[sid as usize] = None;
        self.free_sessions.push(sid);
        // An adaptive campaign learns how its attempt fared.
        if self.messages[s.msg.0 as usize].channel.is_some() {
            self.observe_attempt(s.msg, accepted, t);
        }
        // A client that sends before it receives logs in to POP3 only now.
        if let Some(pop) = self.mail_client_of(s.msg).and_then(|mc| mc.pop.clone())
            && pop.send_first
        {
            let server = self.index_of(&pop.server);
            self.pop_login(s.msg, server, s.client_ip, t);
        }
        match outcome {
            Outcome::Accepted => {
                let how = Arrival {
                    ehlo: &s.client.ehlo,
                    client_ip: s.client_ip,
                    server: &s.server,
                    queue_id: &s.queue_id,
                    bytes: s.client.bytes as u64,
                };
                self.note_trap_hit(s.msg, server, s.client_node, s.client_ip, t);
                self.accept(s.msg, server, t, &how)
            }
            other => self.failed(s.msg, other, t, Some(server)),
        }
    }

    /// The server said `250 queued as`: it adds its `Received:` line and
    /// delivers to a mailbox, or queues the message for its next hop.
    pub(crate) fn accept(&mut self, id: MsgId, n: usize, t: SimTime, how: &Arrival<'_>) {
        // Trace headers are read only in a message's story, which keeps
        // transcripts: statistical runs skip writing them.
        if self.keep_transcripts {
            self.add_trace_headers(id, how, n, t);
        }
        let node = &self.nodes[n];
        let m = &self.messages[id.0 as usize];
        let local = node.is_local_domain(m.rcpt_domain());
        let delivers_here = matches!(node.kind, NodeKind::MailboxServer(_)) || (local && node.mailbox_node.is_none());
        let m = &mut self.messages[id.0 as usize];
        m.holder = Holder::Node(n);
        m.attempts = 0;
        m.held_since = t;
        self.nodes[n].counters.accepted += 1;
        self.nodes[n].counters.bytes_in += how.bytes;
        if delivers_here {
            self.deliver_locally(id, n, t);
            return;
        }
        if !local {
            self.nodes[n].counters.relayed += 1;
        }
        self.queue.schedule_in(0, Event::Attempt(id));
    }

    /// `Received:` (and `Received-SPF:`, `Authentication-Results:`,
    /// `X-Greylist:`) added by server `n` on accepting the message.
    fn add_trace_headers(&mut self, id: MsgId, s: &Arrival<'_>, n: usize, t: SimTime) {
        let rdns = self.server_at(s.client_ip).map(|x| Arc::clone(&x.texts.hostname));
        let date = Timestamp(self.scenario.start.0 + (t / SECOND) as i64);
        let node = &self.nodes[n];
        let m = &self.messages[id.0 as usize];
        // RFC 5321 §4.4: recorded now, written out when someone reads it.
        let received = Header::Received(Box::new(Received {
            ehlo: s.ehlo.into(),
            rdns,
            ip: s.client_ip,
            by: Arc::clone(&node.texts.hostname),
            with: s.server.protocol(),
            id: s.queue_id.into(),
            rcpt: Arc::clone(&m.rcpt),
            date,
        }));
        let mut added = vec![received];
        if let Some(result) = &s.server.spf {
            // RFC 7208 §9.1 and §9.2 (RFC 8601).
            let domain = m.mail_from.rsplit_once('@').map_or(&*s.server.helo, |(_, d)| d);
            added.push(Header::Text(
                spf::received_spf_header(result, IpAddr::V4(s.client_ip), &m.mail_from, &s.server.helo, &node.hostname)
                    .into(),
            ));
            added.push(Header::Text(
                format!(
                    "Authentication-Results: {}; {}",
                    node.hostname,
                    spf::authentication_results_fragment(result, domain)
                )
                .into(),
            ));
        }
        if let Some(secs) = s.server.greylist_delay {
            added.push(Header::Greylisted { secs, by: Arc::clone(&node.texts.hostname), date });
        }
        let headers = self.messages[id.0 as usize].headers_mut();
        for (k, h) in added.into_iter().enumerate() {
            headers.insert(k, h);
        }
    }

    /// Delivery into a mailbox of the node that holds the message.
    pub(crate) fn deliver_locally(&mut self, id: MsgId, n: usize, t: SimTime) {
        let m = &mut self.messages[id.0 as usize];
        // Plain forwarding (a `.forward` file): same message, same envelope
        // sender, new recipient. Postfix refuses more than a few hops (loop).
        let forward = self.nodes[n].forwards.iter().find(|(from, _)| from.eq_ignore_ascii_case(&m.rcpt));
        if let Some((from, to)) = forward.cloned()
            && m.forwarded < 5
        {
            if self.keep_transcripts {
                m.headers_mut().insert(0, Header::Text(format!("Delivered-To: {from}").into()));
            }
            m.rcpt = to.into();
            m.forwarded += 1;
            m.holder = Holder::Node(n);
            m.attempts = 0;
            m.held_since = t;
            self.nodes[n].counters.forwarded += 1;
            self.queue.schedule_in(0, Event::Attempt(id));
            return;
        }
        if self.nodes[n].mailboxes.contains(&m.rcpt) {
            if self.keep_transcripts {
                let return_path = Header::ReturnPath(Arc::clone(&m.mail_from));
                m.headers_mut().insert(0, return_path);
            }
            m.fate = Fate::Delivered { at: t, node: n };
            self.settle(id);
            self.nodes[n].counters.delivered += 1;
            self.trace.push(t, TraceEvent::Delivered { msg: id, node: n });
        } else {
            let rcpt = &self.messages[id.0 as usize].rcpt;
            let reason = self.reason(|| Reply::user_unknown(rcpt).to_string());
            self.bounce(n, id, t, reason, true);
        }
    }

    /// Ends a message at node `n` and returns a bounce (DSN) to its envelope
    /// sender. A bounce itself is never bounced (RFC 5321 §4.5.5).
    pub(super) fn bounce(&mut self, n: usize, id: MsgId, t: SimTime, reason: Box<str>, permanent: bool) {
        let m = &mut self.messages[id.0 as usize];
        if !retry::returns_dsn(&m.mail_from) {
            m.fate =
                if permanent { Fate::Rejected { at: t, node: Some(n), reason } } else { Fate::Lost { at: t, reason } };
            self.settle(id);
            let ev = if permanent { TraceEvent::Rejected { msg: id } } else { TraceEvent::Lost { msg: id } };
            self.trace.push(t, ev);
            return;
        }
        m.fate = Fate::Rejected { at: t, node: Some(n), reason };
        let class = if m.forged { MailClass::Backscatter } else { MailClass::Bounce };
        let (to, orig_subject) = (m.mail_from.clone(), m.subject().to_string());
        let bid = self.next_message_id();
        let host = &self.nodes[n].hostname;
        let (from, subject) = if self.keep_transcripts {
            (format!("MAILER-DAEMON@{host}"), format!("Undelivered Mail Returned to Sender ({orig_subject})"))
        } else {
            (String::new(), String::new())
        };
        let mut b = Message::new(NewMessage {
            id: bid,
            class,
            source: None,
            mail_from: Arc::clone(&self.empty_address),
            rcpt: to,
            header_from: from,
            subject,
            forged: false,
            created: t,
            origin: n,
            origin_host: 0,
        });
        // A folding run reuses the original's slot: the link would dangle.
        b.bounce_of = self.keeps_messages().then_some(id);
        b.holder = Holder::Node(n);
        self.store_message(b);
        self.nodes[n].counters.bounces_sent += 1;
        self.trace.push(t, TraceEvent::Bounced { msg: id, bounce: bid, node: n });
        self.queue.schedule_in(0, Event::Attempt(bid));
        self.settle(id);
    }

    /// A fate's reason text, made only where someone can read it: a plain
    /// statistical run folds the message when it ends and never reads it.
    pub(super) fn reason(&self, text: impl FnOnce() -> String) -> Box<str> {
        if self.keep_transcripts || self.trace.is_enabled() { text().into() } else { Box::default() }
    }

    pub(super) fn end(&mut self, id: MsgId, t: SimTime, fate: Fate) {
        let ev = match &fate {
            Fate::Lost { .. } => TraceEvent::Lost { msg: id },
            _ => TraceEvent::Rejected { msg: id },
        };
        self.trace.push(t, ev);
        self.messages[id.0 as usize].fate = fate;
        self.settle(id);
    }
}
