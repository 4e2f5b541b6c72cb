//! POP3 logins (RFC 1939): what a mail client does before or after it
//! sends, and what POP-before-SMTP relaying trusts.

use std::net::Ipv4Addr;

use super::Simulation;
use crate::sim::message::{Hop, MsgId, Said};
use crate::units::SimTime;

impl Simulation {
    /// A POP3 login: the server records the address and time (what
    /// POP-before-SMTP trusts), and the message's story shows the dialogue.
    /// The session crosses the same links as SMTP does: the greeting comes
    /// one round trip after the connection, and `USER`, `PASS` and `QUIT`
    /// take one round trip each (RFC 1939 §4, §7). The login counts from the
    /// moment `PASS` is answered. Returns how long the session takes (what a
    /// mail client that receives first waits before it sends).
    pub(crate) fn pop_login(&mut self, id: MsgId, server: usize, ip: Ipv4Addr, t: SimTime) -> u64 {
        let m = &self.messages[id.0 as usize];
        let (origin, user) = (m.origin, m.mail_from.clone());
        let to_ip = self.nodes[server].ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut via = std::mem::take(&mut self.via_scratch);
        let one_way = self.topo.path(origin, server, &mut via);
        self.via_scratch = via;
        let rtt = one_way.map_or(0, |d| (2 * d).max(1));
        let ended = t + 4 * rtt;
        let result = if one_way.is_some() { "+OK Logged in (POP3)" } else { "No route to host (POP3)" };
        if one_way.is_some() {
            self.nodes[server].pop.record(ip, t + 3 * rtt);
            self.nodes[server].counters.pop_logins += 1;
        }
        let hop = Hop {
            from: origin,
            to: server,
            from_ip: ip,
            to_ip,
            port: 110,
            started: t,
            ended,
            result: result.into(),
            accepted: false,
            said: Vec::new(),
        };
        let hops = &mut self.messages[id.0 as usize].hops;
        hops.reserve_exact(1); // most messages make one or two hops
        hops.push(hop);
        if one_way.is_none() {
            self.line_with(id, t, '*', || format!("connect to {to_ip}:110: No route to host"));
            return 0;
        }
        if !self.keep_transcripts {
            return 4 * rtt;
        }
        self.said(id, t, || Said::Connected { to: to_ip, port: 110, from: ip });
        self.said(id, t + rtt, || Said::Static('S', "+OK POP3 server ready"));
        self.line_with(id, t + rtt, 'C', || format!("USER {user}"));
        let rest = [
            (2, 'S', "+OK"),
            (2, 'C', "PASS ********"),
            (3, 'S', "+OK Logged in."),
            (3, 'C', "QUIT"),
            (4, 'S', "+OK Bye"),
        ];
        for (k, who, text) in rest {
            self.said(id, t + k * rtt, || Said::Static(who, text));
        }
        4 * rtt
    }
}
