//! The network graph: nodes joined by links with latency. A connection from
//! one node to another follows the lowest-latency path and passes every
//! router on it, each of which may inspect and drop it.
//!
//! Paths come from one shortest-path tree per source node (Dijkstra, built
//! on first use and kept): a large world has ~10^4 nodes and ~10^6
//! (client, server) pairs, but only ~10^2 distinct clients.

use rustc_hash::FxHashMap as HashMap;
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

/// Shortest paths from one source. Destinations behind the same routers
/// share one list of the nodes in between (all the MXes of a hosting
/// provider, all the hosts of an ISP): a path lookup reads one entry for its
/// destination and a short list that stays in cache, instead of walking
/// predecessors through the tree.
struct Tree {
    /// By destination: one-way latency and which of `vias` leads there
    /// (`UNREACHABLE` when none does).
    nodes: Vec<(u64, u32)>,
    /// The distinct lists of nodes between the source and a destination.
    vias: Vec<Vec<usize>>,
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
        via.extend_from_slice(&tree.vias[k as usize]);
        Some(dist)
    }

    fn dijkstra(&self, source: usize) -> Tree {
        let n = self.index.len();
        let mut dist = vec![u64::MAX; n];
        let mut pred = vec![u32::MAX; n];
        let mut heap = BinaryHeap::new();
        dist[source] = 0;
        heap.push(Reverse((0u64, source)));
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > dist[u] {
                continue;
            }
            for e in self.graph.edges(self.index[u]) {
                use petgraph::visit::EdgeRef;
                let v = self.graph[if e.source() == self.index[u] { e.target() } else { e.source() }];
                let nd = d + *e.weight();
                if nd < dist[v] {
                    dist[v] = nd;
                    pred[v] = u as u32;
                    heap.push(Reverse((nd, v)));
                }
            }
        }
        // The nodes between the source and each destination, walked once
        // here; equal lists are stored once.
        let mut vias: Vec<Vec<usize>> = vec![Vec::new()];
        let mut known: HashMap<Vec<usize>, u32> = HashMap::default();
        known.insert(Vec::new(), 0);
        let mut nodes = Vec::with_capacity(n);
        let mut scratch = Vec::new();
        for b in 0..n {
            if b == source {
                nodes.push((0, 0));
                continue;
            }
            if pred[b] == u32::MAX {
                nodes.push((u64::MAX, UNREACHABLE));
                continue;
            }
            scratch.clear();
            let mut k = pred[b] as usize;
            while k != source {
                scratch.push(k);
                k = pred[k] as usize;
            }
            scratch.reverse();
            let id = match known.get(scratch.as_slice()) {
                Some(&id) => id,
                None => {
                    let id = vias.len() as u32;
                    vias.push(scratch.clone());
                    known.insert(scratch.clone(), id);
                    id
                }
            };
            nodes.push((dist[b], id));
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
}
