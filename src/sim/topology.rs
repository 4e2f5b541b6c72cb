//! The network graph: nodes joined by links with latency. A connection from
//! one node to another follows the lowest-latency path and passes every
//! router on it, each of which may inspect and drop it.

use std::collections::HashMap;

use petgraph::graph::{NodeIndex, UnGraph};

/// The path of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Nodes between the two ends, in order (routers inspect connections).
    pub via: Vec<usize>,
    /// Sum of link latencies, one way, in ms.
    pub one_way_ms: u64,
}

pub struct Topology {
    graph: UnGraph<usize, u64>,
    index: Vec<NodeIndex>,
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
        Topology { graph, index, routes: HashMap::new() }
    }

    /// The lowest-latency path from `a` to `b` (cached; ties broken by the
    /// graph's insertion order, so the same file always gives the same path).
    pub fn route(&mut self, a: usize, b: usize) -> Option<&Route> {
        if !self.routes.contains_key(&(a, b)) {
            let found =
                petgraph::algo::astar(&self.graph, self.index[a], |n| n == self.index[b], |e| *e.weight(), |_| 0);
            let route = found.map(|(cost, path)| Route {
                via: path.iter().skip(1).take(path.len().saturating_sub(2)).map(|ix| self.graph[*ix]).collect(),
                one_way_ms: cost,
            });
            self.routes.insert((a, b), route);
        }
        self.routes.get(&(a, b)).and_then(|r| r.as_ref())
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
