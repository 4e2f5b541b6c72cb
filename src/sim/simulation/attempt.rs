//! A delivery attempt: whoever holds a message (its sender, or a server's
//! queue) plans where to connect and how to introduce itself, and opens an
//! SMTP session. Mail clients submit to their server, spam software follows
//! its strategy, and servers relay by transport map, smarthost or MX.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::{Event, Pending, Session, Simulation, Targets};
use crate::scenario::{Credentials, MailClient, NodeKind, Source, Strategy};
use crate::sim::message::{Address, Holder, MailClass, MsgId};
use crate::sim::rng::{self};
use crate::sim::smtp::server::ServerSession;
use crate::sim::smtp::{ClientSession, Outcome, Reply};
use crate::units::SimTime;

/// Message sizes in bytes, for the `DATA` line and byte counts.
const LEGIT_BYTES: u32 = 4_200;
const SPAM_BYTES: u32 = 2_300;
const BOUNCE_BYTES: u32 = 3_100;

/// Where a sender connects and how it introduces itself.
pub(super) struct Plan {
    pub(super) client_node: usize,
    pub(super) client_ip: Ipv4Addr,
    pub(super) ehlo: Address,
    pub(super) targets: Targets,
    pub(super) port: u16,
    pub(super) credentials: Option<Credentials>,
    /// How long after the attempt starts the SMTP connection is opened
    /// (a mail client that logs in to POP3 first).
    pub(super) start_after: u64,
}

impl Simulation {
    /// Starts a delivery attempt of `id` by whoever holds it now.
    pub(crate) fn attempt(&mut self, id: MsgId, t: SimTime) {
        let m = &self.messages[id.0 as usize];
        if m.fate.is_final() {
            return;
        }
        let rcpt = Arc::clone(&m.rcpt);
        let rcpt_domain = rcpt.rsplit_once('@').map_or("", |(_, d)| d);
        let plan = match m.holder {
            Holder::Node(n) if self.nodes[n].is_local_domain(rcpt_domain) && self.nodes[n].mailbox_node.is_none() => {
                // The holder is the final destination (a bounce to one of its
                // own users, a forward): local delivery, no SMTP hop.
                self.deliver_locally(id, n, t);
                return;
            }
            Holder::Node(n) => self.plan_relay(n, id, rcpt_domain),
            Holder::Sender => self.plan_sender(id, rcpt_domain, t),
        };
        if plan.targets.is_empty() {
            let rcpt = &self.messages[id.0 as usize].rcpt;
            let reply = if self.mx_loops_back(rcpt_domain, plan.client_node) {
                // Postfix smtp_addr.c: the best MX is this server itself, for a
                // domain it does not accept as its own. RFC 3463 §3.5: X.4.6
                // "Routing loop detected".
                Reply::new(550, format!("5.4.6 <{rcpt}>: mail for {rcpt_domain} loops back to myself"))
            } else {
                // Postfix: "Host or domain name not found" is a permanent failure.
                Reply::new(550, format!("5.1.2 <{rcpt}>: Host or domain name not found"))
            };
            self.failed(id, Outcome::Permanent(reply), t, None);
            return;
        }
        self.nodes[plan.client_node].counters.sessions_out += 1;
        let m = &mut self.messages[id.0 as usize];
        m.attempts += 1;
        let bytes = match m.class {
            MailClass::Legit => LEGIT_BYTES,
            MailClass::Spam => SPAM_BYTES,
            _ => BOUNCE_BYTES,
        };
        let mut client = ClientSession::new(plan.ehlo, m.mail_from.clone(), m.rcpt.clone(), bytes);
        // RFC 6409 / RFC 8314: mail clients upgrade with STARTTLS on 587.
        client.starttls = plan.port == 587;
        client.credentials = plan.credentials;
        let session = Session {
            msg: id,
            client_node: plan.client_node,
            client_ip: plan.client_ip,
            targets: plan.targets,
            target: 0,
            port: plan.port,
            rtt: 1,
            server: ServerSession::new(
                Arc::clone(&self.nodes[plan.client_node].texts),
                plan.port,
                true,
                plan.client_ip,
                None,
            ),
            client,
            pending: Pending::Connect,
            queue_id: String::new(),
            reply_delay: 0,
            reply_timeout: self.reply_timeout_of(id),
        };
        let sid = match self.free_sessions.pop() {
            Some(i) => {
                self.sessions[i as usize] = Some(Box::new(session));
                i
            }
            None => {
                self.sessions.push(Some(Box::new(session)));
                (self.sessions.len() - 1) as u32
            }
        };
        self.queue.schedule_in(plan.start_after, Event::Step(sid));
    }

    /// A mail server delivering from its queue: to the mailbox server for
    /// local domains, else to the MX. A sending pool uses its next address.
    fn plan_relay(&mut self, n: usize, id: MsgId, domain: &str) -> Plan {
        // A transport map entry or a smarthost (Postfix `transport_maps`,
        // `relayhost`) names the next hop itself: no MX lookup.
        let targets = match (self.nodes[n].next_hop(domain), self.nodes[n].mailbox_node) {
            (Some(hop), _) => self.node_target(hop),
            (None, Some(mb)) if self.nodes[n].is_local_domain(domain) => self.node_target(mb),
            _ => self.mx_targets(domain, Some(n), n),
        };
        let node = &mut self.nodes[n];
        let attempts = self.messages[id.0 as usize].attempts as usize;
        let pool = node.kind.mail_server().map(|m| m.outbound_ips.as_slice()).unwrap_or(&[]);
        let client_ip = match (pool.len(), node.outbound_rng.as_mut()) {
            (0, _) => node.ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            (k, None) => pool[attempts % k].0,
            // `outbound_choice: Random`: one draw per attempt, from the node's own stream.
            (k, Some(r)) => pool[rng::index(r, k)].0,
        };
        let node = &self.nodes[n];
        Plan {
            client_node: n,
            client_ip,
            ehlo: Arc::clone(&node.texts.hostname),
            targets,
            port: 25,
            credentials: None,
            start_after: 0,
        }
    }

    /// The mail client of a legit message still with its writer.
    pub(crate) fn mail_client_of(&self, id: MsgId) -> Option<&MailClient> {
        let m = &self.messages[id.0 as usize];
        if m.class != MailClass::Legit || m.holder != Holder::Sender {
            return None;
        }
        match &self.nodes[m.origin].kind {
            NodeKind::ClientPc(pc) => Some(&pc.mail_client),
            NodeKind::Population(p) => Some(&p.mail_client),
            _ => None,
        }
    }

    /// The originator: a mail client submitting to its server, or spam software.
    fn plan_sender(&mut self, id: MsgId, domain: &str, t: SimTime) -> Plan {
        let m = &self.messages[id.0 as usize];
        let (origin, host) = (m.origin, m.origin_host);
        let client_ip = self.nodes[origin].public_ip(host, t);
        let mut plan = Plan {
            client_node: origin,
            client_ip,
            ehlo: "localhost".into(),
            targets: Targets::new(),
            port: 25,
            credentials: None,
            start_after: 0,
        };
        let client = self.mail_client_of(id).map(|mc| {
            let pop_first = mc.pop.as_ref().filter(|p| !p.send_first).map(|p| self.index_of(&p.server));
            (pop_first, self.index_of(&mc.server), mc.port, mc.auth.clone())
        });
        if let Some((pop_first, server, port, auth)) = client {
            if let Some(pop) = pop_first {
                // Receive first, then send: the POP3 session ends before SMTP starts.
                plan.start_after = self.pop_login(id, pop, client_ip, t);
            }
            plan.ehlo = match &self.nodes[origin].kind {
                NodeKind::Population(_) => format!("PC-{host}").into(),
                _ => Arc::clone(&self.nodes[origin].texts.hostname),
            };
            plan.targets = self.node_target(server);
            plan.port = port;
            plan.credentials =
                auth.map(|c| Credentials { user: c.user.replace("{i}", &host.to_string()), password: c.password });
            return plan;
        }
        let traffic = Arc::clone(&self.traffic);
        let Some(Source::Spam(sp)) = m.source.map(|s| &traffic[s]) else { return plan };
        // Ratware greets with the forged sender's domain (or its own name on a spammer's server).
        plan.ehlo = match &self.nodes[origin].kind {
            NodeKind::SpammerServer(_) => Arc::clone(&self.nodes[origin].texts.hostname),
            NodeKind::SpamBot(b) if b.hostname.is_some() => Arc::clone(&self.nodes[origin].texts.hostname),
            _ => m.mail_from.rsplit_once('@').map_or("localhost".into(), |(_, d)| d.into()),
        };
        // An adaptive campaign's mail goes by the channel it was given.
        if let Some(ch) = m.channel {
            let (src, cursor, origin, host) = (m.source, m.relay_cursor, m.origin, m.origin_host);
            return self.plan_channel(plan, (src, cursor, origin, host), ch, domain);
        }
        let direct = m.direct;
        let cursor = m.relay_cursor as usize;
        match &sp.strategy {
            Strategy::OpenRelays(r) | Strategy::OpenRelaysThenDirect(r) if !direct && !r.is_empty() => {
                plan.targets = self.node_target(self.index_of(&r[cursor % r.len()]));
            }
            Strategy::StolenCredentials { relay, port, credentials, share } if !direct => {
                // The first `share` of the infected hosts hold a stolen account.
                // A single bot or server holds one when `share` > 0.
                let infected = &self.nodes[origin].infected;
                let (pos, holders) = if infected.is_empty() {
                    (0, usize::from(*share > 0.0))
                } else {
                    (infected.binary_search(&host).unwrap_or(0), (infected.len() as f64 * share).ceil() as usize)
                };
                if pos < holders && !credentials.is_empty() {
                    plan.targets = self.node_target(self.index_of(relay));
                    plan.port = *port;
                    plan.credentials = Some(credentials[pos % credentials.len()].clone());
                } else {
                    plan.targets = self.mx_targets(domain, None, origin);
                }
            }
            Strategy::BackupMx => plan.targets = self.mx_targets_backup_first(domain, origin),
            Strategy::OpenProxies(p) if !p.is_empty() => {
                // The session starts at the proxy, from its address and over
                // its network (its ISP's OP25B applies); the spammer's own
                // address never appears. Its connection to the proxy is not a hop.
                let proxy = self.index_of(&p[id.0 as usize % p.len()]);
                plan.client_node = proxy;
                plan.client_ip = self.nodes[proxy].public_ip(0, t);
                self.nodes[proxy].counters.proxied += 1;
                plan.targets = self.mx_targets(domain, None, proxy);
            }
            _ => plan.targets = self.mx_targets(domain, None, origin),
        }
        plan
    }
}
