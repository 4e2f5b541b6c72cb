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

/// Shortest paths from one source: distance and predecessor of every node.
/// Distance and predecessor sit side by side: a path lookup touches one
/// cache line for its destination instead of two.
struct Tree {
    /// `(distance, predecessor)`; the predecessor is `u32::MAX` for the
    /// source and for unreachable nodes.
    nodes: Vec<(u64, u32)>,
}

pub struct Topology {
    graph: UnGraph<usize, u64>,
    index: Vec<NodeIndex>,
    /// Shortest-path trees by source node, built on first use.
    trees: Vec<Option<Tree>>,
    routes: HashMap<(usize, usize), Option<Route>>,
}

impl Topology {
    /// `links` are `(a, b, one-way latency ms)` between node indices `< n`.
    pub fn new(n: usize, links: &[(usize, usize, u64)]) -> Self {
        let mut graph = UnGraph::with_capacity(n, links.len());
        let index: Vec<NodeIndex> = (0..n).map(|i| graph.add_node(i)).collect();
        for &(a, b, ms) in links {
            graph.add_edge(index[a], index[b], ms);
        }
        Topology { graph, index, trees: (0..n).map(|_| None).collect(), routes: HashMap::default() }
    }

    /// The lowest-latency path from `a` to `b` (cached; ties broken by node
    /// and link order, so the same file always gives the same path).
    pub fn route(&mut self, a: usize, b: usize) -> Option<&Route> {
        if !self.routes.contains_key(&(a, b)) {
            let mut via = Vec::new();
            let route = self.path(a, b, &mut via).map(|one_way_ms| Route { via, one_way_ms });
            self.routes.insert((a, b), route);
        }
        self.routes.get(&(a, b)).and_then(|r| r.as_ref())
    }

    /// Like [`Self::route`] without allocating: fills `via` with the nodes
    /// between `a` and `b` and returns the one-way latency.
    pub fn path(&mut self, a: usize, b: usize, via: &mut Vec<usize>) -> Option<u64> {
        via.clear();
        if self.trees[a].is_none() {
            self.trees[a] = Some(self.dijkstra(a));
        }
        let Some(tree) = &self.trees[a] else { return None };
        if a == b {
            return Some(0);
        }
        let &(dist, pred) = tree.nodes.get(b)?;
        if pred == u32::MAX {
            return None;
        }
        let mut n = pred as usize;
        while n != a {
            via.push(n);
            n = tree.nodes[n].1 as usize;
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
        Tree { nodes: dist.into_iter().zip(pred).collect() }
    }

    pub fn neighbours(&self, a: usize) -> Vec<usize> {
        self.graph.neighbors(self.index[a]).map(|ix| self.graph[ix]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_take_the_fastest_path_and_list_what_is_between() {
        // 0 - 1 - 2 - 3, and a slow shortcut 0 - 3.
        let mut t = Topology::new(4, &[(0, 1, 5), (1, 2, 5), (2, 3, 5), (0, 3, 100)]);
        assert_eq!(t.route(0, 3), Some(&Route { via: vec![1, 2], one_way_ms: 15 }));
        let mut t = Topology::new(3, &[(0, 1, 5)]);
        assert_eq!(t.route(0, 2), None);
    }
}
