//! Draws a scenario's world as SVG, with what each machine did in one run:
//! the book's figure of each history era. ISPs are bands, from the customers'
//! PCs on the left through their servers to the ISP's router; the backbone
//! (routers and DNS outside every ISP) is the column on the right. Every box
//! carries the run's counters for that node, so the figure shows the
//! mechanism at work (a relay's `relay_denied`, a router's drops).
//!
//! Used by `examples/world_figure/main.rs` (which book/generate.sh runs) and
//! by the book's tests (which check that the committed figures are fresh).

use std::collections::BTreeMap;
use std::fmt::Write;

use relaysim::scenario::{NodeKind, Scenario, Source};
use relaysim::stats::Report;

const BOX_W: f64 = 270.0;
const BOX_H: f64 = 84.0;
const COL_W: f64 = 300.0;
const ROW_H: f64 = 96.0;
const LEFT: f64 = 20.0;
const TOP: f64 = 56.0;
const BAND_PAD: f64 = 26.0;

/// Left-to-right place of a node inside its ISP's band: customers on the
/// left, then mail servers, mailbox servers, and the network on the right.
fn rank(k: &NodeKind) -> usize {
    k.role().rank()
}

fn fill(k: &NodeKind) -> &'static str {
    match k {
        NodeKind::ClientPc(_) => "#dbeafe",
        NodeKind::Population(p) if p.infected > 0.0 => "#fde2e2",
        NodeKind::Population(_) => "#dbeafe",
        NodeKind::SpamBot(_) => "#fecaca",
        NodeKind::IspRelay(_) => "#fde68a",
        NodeKind::OpenRelay(_) | NodeKind::SpammerServer(_) => "#fca5a5",
        NodeKind::Mx(_) => "#bbf7d0",
        NodeKind::MailboxServer(_) => "#a7f3d0",
        NodeKind::Router(_) | NodeKind::Dns => "#e5e7eb",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The lines under a node's name: what it is, and what it did.
fn lines(s: &Scenario, r: &Report, id: &str, k: &NodeKind) -> [String; 4] {
    let c = r.nodes.get(id);
    let sent = |id: &str| -> u64 {
        s.traffic
            .iter()
            .filter(|t| match t {
                Source::Legit(l) => l.from == id,
                Source::Once(o) => o.from == id,
                Source::Spam(sp) => sp.senders.iter().any(|x| x == id),
            })
            .map(|t| r.sources.get(t.id()).map_or(0, |c| c.sent))
            .sum()
    };
    match k {
        NodeKind::ClientPc(pc) => {
            [format!("PC of {}", pc.user), format!("writes {} mail(s)", sent(id)), String::new(), String::new()]
        }
        NodeKind::SpamBot(_) => {
            ["infected PC (spam bot)".into(), format!("sends {} spam", sent(id)), String::new(), String::new()]
        }
        NodeKind::Population(p) => [
            format!("{} PCs, {} infected", p.count, (p.count as f64 * p.infected).round() as u64),
            format!("its sources send {} mail(s)", sent(id)),
            String::new(),
            String::new(),
        ],
        NodeKind::Router(_) => {
            let c = c.map(|c| format!("dropped {} of {} connections", c.dropped, c.connections_seen));
            ["router".into(), c.unwrap_or_default(), String::new(), String::new()]
        }
        NodeKind::Dns => ["DNS".into(), format!("{} queries", r.dns_queries), String::new(), String::new()],
        _ => {
            let Some(c) = c else { return [k.name().to_string(), String::new(), String::new(), String::new()] };
            let mut did = format!("accepted {}", c.accepted);
            if c.relayed > 0 {
                let _ = write!(did, ", relayed {}", c.relayed);
            }
            let mut ends = Vec::new();
            if c.delivered > 0 {
                ends.push(format!("to mailboxes {}", c.delivered));
            }
            if c.bounces_sent > 0 {
                ends.push(format!("bounces {}", c.bounces_sent));
            }
            if c.sessions_out > 0 && c.accepted == 0 {
                // A server that only sends (a provider, a shop, a spammer's server).
                ends.push(format!("sessions out {}", c.sessions_out));
            }
            if c.greylisted > 0 {
                ends.push(format!("greylisted {}", c.greylisted));
            }
            let refused: Vec<String> = c.refused.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let refused = if refused.is_empty() { String::new() } else { format!("refused: {}", refused.join(", ")) };
            [k.name().to_string(), did, ends.join(", "), refused]
        }
    }
}

/// The SVG of `s`'s world with the counters of the run `r`.
pub fn world_svg(s: &Scenario, r: &Report) -> String {
    // Bands: one per ISP in file order, then one for other nodes outside the backbone.
    let backbone =
        |n: &relaysim::scenario::Node| n.isp.is_none() && matches!(n.kind, NodeKind::Router(_) | NodeKind::Dns);
    let mut bands: Vec<(String, Vec<usize>)> = s.isps.iter().map(|i| (i.id.clone(), vec![])).collect();
    let mut others = Vec::new();
    let mut spine = Vec::new();
    for (i, n) in s.nodes.iter().enumerate() {
        if backbone(n) {
            spine.push(i);
        } else if let Some(b) = n.isp.as_ref().and_then(|isp| bands.iter_mut().find(|(id, _)| id == isp)) {
            b.1.push(i);
        } else {
            others.push(i);
        }
    }
    if !others.is_empty() {
        bands.push(("(no ISP)".into(), others));
    }
    bands.retain(|(_, v)| !v.is_empty());

    let mut pos: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
    let mut band_rects = Vec::new();
    let mut y = TOP;
    for (name, members) in &bands {
        let mut per_rank = [0usize; 4];
        for &i in members {
            let k = rank(&s.nodes[i].kind);
            pos.insert(i, (LEFT + 10.0 + k as f64 * COL_W, y + BAND_PAD + per_rank[k] as f64 * ROW_H));
            per_rank[k] += 1;
        }
        let rows = per_rank.iter().copied().max().unwrap_or(1).max(1) as f64;
        let h = BAND_PAD + rows * ROW_H;
        band_rects.push((name.clone(), y, h));
        y += h + 12.0;
    }
    let spine_x = LEFT + 10.0 + 4.0 * COL_W + 30.0;
    let spine_top = TOP + ((y - TOP) - spine.len() as f64 * ROW_H).max(0.0) / 2.0;
    for (j, &i) in spine.iter().enumerate() {
        pos.insert(i, (spine_x, spine_top + j as f64 * ROW_H));
    }
    let width = spine_x + BOX_W + LEFT;
    let height = y.max(spine_top + spine.len() as f64 * ROW_H) + 10.0;

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">"#
    );
    let _ = writeln!(o, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{LEFT}" y="26" font-size="16" font-weight="bold">{} — one run, seed {}, {} s simulated</text>"#,
        esc(&r.scenario),
        r.seed,
        r.sim_time_s
    );
    for (name, by, h) in &band_rects {
        let _ = writeln!(
            o,
            r##"<rect x="{LEFT}" y="{by:.0}" width="{:.0}" height="{h:.0}" rx="8" fill="#f9fafb" stroke="#9ca3af"/><text x="{:.0}" y="{:.0}" font-weight="bold" fill="#374151">{}</text>"##,
            4.0 * COL_W,
            LEFT + 10.0,
            by + 17.0,
            esc(name)
        );
    }
    let ids: BTreeMap<&str, usize> = s.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    for l in &s.links {
        if let (Some(a), Some(b)) = (ids.get(l.a.as_str()), ids.get(l.b.as_str()))
            && let (Some(pa), Some(pb)) = (pos.get(a), pos.get(b))
            // DNS answers without traffic on the links: its links are not drawn.
            && !matches!(s.nodes[*a].kind, NodeKind::Dns)
            && !matches!(s.nodes[*b].kind, NodeKind::Dns)
        {
            let _ = writeln!(
                o,
                r##"<line x1="{:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="#6b7280" stroke-width="1.5"/>"##,
                pa.0 + BOX_W / 2.0,
                pa.1 + BOX_H / 2.0,
                pb.0 + BOX_W / 2.0,
                pb.1 + BOX_H / 2.0
            );
        }
    }
    for (i, n) in s.nodes.iter().enumerate() {
        let Some(&(x, y)) = pos.get(&i) else { continue };
        let texts = lines(s, r, &n.id, &n.kind);
        let _ = write!(
            o,
            r##"<g><rect x="{x:.0}" y="{y:.0}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{}" stroke="#374151"/><text x="{:.0}" y="{:.0}" font-weight="bold">{}</text>"##,
            fill(&n.kind),
            x + 8.0,
            y + 16.0,
            esc(&n.id),
        );
        for (k, t) in texts.iter().filter(|t| !t.is_empty()).enumerate() {
            let _ = write!(
                o,
                r#"<text x="{:.0}" y="{:.0}" font-size="11">{}</text>"#,
                x + 8.0,
                y + 32.0 + 15.0 * k as f64,
                esc(t)
            );
        }
        o.push_str("</g>\n");
    }
    o.push_str("</svg>\n");
    o
}
