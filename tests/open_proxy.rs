//! Open proxies (seed 003 §3.5): the spammer's SMTP sessions start at
//! proxies at other ISPs, so the MX sees only the proxies' addresses, and
//! OP25B at the proxy's ISP is what stops them. On
//! `scenarios/examples/open-proxy.ron`.

mod common;

use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, RunOptions, Simulation};
use relaysim::stats::Report;

const FILE: &str = "scenarios/examples/open-proxy.ron";

#[test]
fn the_mx_sees_only_the_proxies_and_op25b_at_the_proxys_isp_stops_one() {
    let (sim, r) = common::run_file(FILE, 19);
    common::assert_conserved(&r);
    let spammer_ip: std::net::Ipv4Addr = "10.8.0.66".parse().unwrap();
    let src = sim.scenario.traffic.iter().position(|s| s.id() == "spam-via-proxies").unwrap();
    let (proxy_b, proxy_c) = (sim.index_of("proxy-b"), sim.index_of("proxy-c"));
    let mut delivered = 0;
    for m in sim.messages.iter().filter(|m| m.source == Some(src)) {
        assert_eq!(m.origin, sim.index_of("spammer"), "the spam is still the spammer's");
        let hop = &m.hops[0];
        assert_ne!(hop.from_ip, spammer_ip, "the spammer's address never appears");
        match m.fate {
            Fate::Delivered { .. } => {
                delivered += 1;
                assert_eq!((hop.from, hop.from_ip.to_string().as_str()), (proxy_c, "10.5.6.7"));
                assert!(m.headers().iter().any(|h| h.contains("[10.5.6.7]")), "Received: names the proxy");
                assert!(!m.headers().iter().any(|h| h.contains("10.8.0.66")));
            }
            _ => {
                assert_eq!(hop.from, proxy_b);
                assert!(hop.result.contains("dropped by router-b"), "{}", hop.result);
            }
        }
    }
    assert!(delivered > 100);
    assert_eq!(r.sources["spam-direct"].delivered, 0, "the spammer's own ISP blocks port 25");
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["nodes"]["proxy-c"]["proxied"].as_u64().unwrap() >= delivered);
    assert!(json["nodes"]["proxy-b"]["proxied"].as_u64().unwrap() > 0);
    assert!(json["nodes"].get("spammer").is_none(), "hosts are reported only when they proxied");
}

#[test]
fn op25b_switched_on_at_the_second_proxys_isp_stops_the_rest() {
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(19));
    sim.set_defense("router-c", Defense::Op25b, true).unwrap();
    sim.run_until(sim.scenario.duration.0);
    let r = Report::of(&sim);
    assert_eq!(r.sources["spam-via-proxies"].delivered, 0);
    assert!(r.nodes["router-c"].dropped > 100);
}

#[test]
fn a_proxy_must_be_a_host() {
    let src = std::fs::read_to_string(common::path(FILE)).unwrap();
    let bad = src.replace(r#"OpenProxies(["proxy-b", "proxy-c"])"#, r#"OpenProxies(["proxy-b", "mx-co"])"#);
    let e = scenario::parse(&bad, "b.ron").unwrap_err().to_string();
    assert!(e.contains("mx-co") && e.contains("a ClientPc or SpamBot"), "{e}");
    let empty = src.replace(r#"OpenProxies(["proxy-b", "proxy-c"])"#, "OpenProxies([])");
    let e = scenario::parse(&empty, "b.ron").unwrap_err().to_string();
    assert!(e.contains("OpenProxies needs at least one proxy"), "{e}");
}
