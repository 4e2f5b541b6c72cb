//! The network graph: nodes joined by links with latency. A connection from
//! one node to another follows the lowest-latency path and passes every
//! router on it, each of which may inspect and drop it.
//!
//! Paths come from one shortest-path tree per source node (Dijkstra, built
//! on first use and kept): a large world has ~10^4 nodes and ~10^6
//! (client, server) pairs, but only ~10^2 distinct clients.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::graph::{NodeIndex, UnGraph};

/// The path of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Nodes between the two ends, in order (routers inspect connections).
    pub via: Vec<usize>,
    /// Sum of link latencies, one way, in ms.
    pub one_way_ms: u64,
}

/// Shortest paths from one source. The nodes between the source and a
/// destination are kept as a tree of shared prefixes: entry `k` of `vias`
/// is the list of entry `parent` followed by `node`, so destinations behind
/// the same routers (all the MXes of a hosting provider, all the hosts of an
/// ISP) share one entry, and the whole tree takes one entry per node
/// however long the paths are. (Storing each distinct list whole took
/// quadratic memory on a chain: 10^4 routers in a row, about 1 GB.)
struct Tree {
    /// By destination: one-way latency and which entry of `vias` lists the
    /// nodes between (`UNREACHABLE` when none does).
    nodes: Vec<(u64, u32)>,
    /// `(parent entry, node)`; entry 0 is the empty list (its fields unused).
    vias: Vec<(u32, u32)>,
}

const UNREACHABLE: u32 = u32::MAX;

pub struct Topology {
    graph: UnGraph<usize, u64>,
    index: Vec<NodeIndex>,
    /// Shortest-path trees by source node, built on first use.
    trees: Vec<Option<Tree>>,
}

impl Topology {
    /// `links` are `(a, b, one-way latency ms)` between node indices `< n`.
    pub fn new(n: usize, links: &[(usize, usize, u64)]) -> Self {
        let mut graph = UnGraph::with_capacity(n, links.len());
        let index: Vec<NodeIndex> = (0..n).map(|i| graph.add_node(i)).collect();
        for &(a, b, ms) in links {
            graph.add_edge(index[a], index[b], ms);
        }
        Topology { graph, index, trees: (0..n).map(|_| None).collect() }
    }

    /// The lowest-latency path from `a` to `b` (ties broken by node and
    /// link order, so the same file always gives the same path).
    pub fn route(&mut self, a: usize, b: usize) -> Option<Route> {
        let mut via = Vec::new();
        self.path(a, b, &mut via).map(|one_way_ms| Route { via, one_way_ms })
    }

    /// Like [`Self::route`] without allocating: fills `via` with the nodes
    /// between `a` and `b` and returns the one-way latency.
    pub fn path(&mut self, a: usize, b: usize, via: &mut Vec<usize>) -> Option<u64> {
        via.clear();
        if self.trees[a].is_none() {
            self.trees[a] = Some(self.dijkstra(a));
        }
        let Some(tree) = &self.trees[a] else { return None };
        let &(dist, k) = tree.nodes.get(b)?;
        if k == UNREACHABLE {
            return None;
        }
        let mut k = k as usize;
        while k != 0 {
            let (parent, node) = tree.vias[k];
            via.push(node as usize);
            k = parent as usize;
        }
        via.reverse();
        Some(dist)
    }

    fn dijkstra(&self, source: usize) -> Tree {
        let n = self.index.len();
        let mut dist = vec![u64::MAX; n];
        let mut pred = vec![u32::MAX; n];
        let mut heap = BinaryHeap::new();
        dist[source] = 0;
        heap.push(Reverse((0u64, source)));
        // Nodes in the order their distance became final: a node's
        // predecessor always comes before it.
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > dist[u] {
                continue;
            }
            if u != source {
                order.push(u);
            }
            for e in self.graph.edges(self.index[u]) {
                use petgraph::visit::EdgeRef;
                let v = self.graph[if e.source() == self.index[u] { e.target() } else { e.source() }];
                // Saturating: a latency near u64::MAX must not wrap into a short path
                // (nor make a predecessor cycle); `check` bounds latencies anyway.
                let nd = d.saturating_add(*e.weight());
                if nd < dist[v] {
                    dist[v] = nd;
                    pred[v] = u as u32;
                    heap.push(Reverse((nd, v)));
                }
            }
        }
        // `through[u]` lists the nodes between the source and `u`, then `u`.
        let mut vias: Vec<(u32, u32)> = vec![(0, 0)];
        let mut through = vec![0u32; n];
        let mut nodes = vec![(u64::MAX, UNREACHABLE); n];
        nodes[source] = (0, 0);
        for &b in &order {
            let p = pred[b] as usize;
            let k = if p == source { 0 } else { through[p] };
            nodes[b] = (dist[b], k);
            through[b] = vias.len() as u32;
            vias.push((k, b as u32));
        }
        Tree { nodes, vias }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_take_the_fastest_path_and_list_what_is_between() {
        // 0 - 1 - 2 - 3, and a slow shortcut 0 - 3.
        let mut t = Topology::new(4, &[(0, 1, 5), (1, 2, 5), (2, 3, 5), (0, 3, 100)]);
        assert_eq!(t.route(0, 3), Some(Route { via: vec![1, 2], one_way_ms: 15 }));
        let mut t = Topology::new(3, &[(0, 1, 5)]);
        assert_eq!(t.route(0, 2), None);
    }

    #[test]
    fn a_long_chain_takes_linear_memory_and_time() {
        // 20,000 routers in a row: storing every intermediate list took
        // 5.4 GB; the prefix tree takes one entry per node.
        let n = 20_000;
        let links: Vec<(usize, usize, u64)> = (1..n).map(|i| (i - 1, i, 1)).collect();
        let mut t = Topology::new(n, &links);
        let r = t.route(0, n - 1).unwrap();
        assert_eq!(r.one_way_ms, n as u64 - 1);
        assert_eq!(r.via, (1..n - 1).collect::<Vec<_>>());
        assert_eq!(t.trees[0].as_ref().unwrap().vias.len(), n);
        assert_eq!(t.route(0, 5).unwrap().via, vec![1, 2, 3, 4]);
    }

    #[test]
    fn huge_latencies_saturate_instead_of_wrapping() {
        // u64::MAX made `d + weight` wrap: a predecessor cycle, and the path
        // search never ended; 2^63 ms twice wrapped to a short path.
        let mut t = Topology::new(3, &[(0, 1, u64::MAX), (1, 2, u64::MAX), (0, 2, 1 << 63)]);
        assert_eq!(t.route(0, 2).unwrap().one_way_ms, 1 << 63);
        assert!(t.route(0, 1).is_none(), "an infinitely slow link leads nowhere");
        let mut t = Topology::new(3, &[(0, 1, 1 << 63), (1, 2, 1 << 63)]);
        assert!(t.route(0, 2).is_none_or(|r| r.one_way_ms == u64::MAX));
    }
}
