//! The physical network: ESXi hosts, top-of-rack and spine switches and NSX edge nodes,
//! joined by links with a bandwidth and a latency (a petgraph undirected graph).
//!
//! **Paths.** Traffic between two nodes follows the lowest-latency routes (fewest hops
//! among equal latencies), split equally at every hop over the equal-cost next hops, as
//! ECMP hashing spreads flows over a leaf-spine fabric (RFC 2992's hash-threshold
//! multipath gives each next hop an equal share on average). A [`Path`] is therefore a
//! set of directed links, each with the share of the traffic it carries, a latency (that
//! of any of the equal routes) and a bottleneck: the widest of the routes' narrowest
//! links, which a single flow such as a vMotion stream is limited to.
//!
//! A path is computed the first time it is asked for and kept ("computed once"): a
//! Dijkstra search from the destination gives every node's distance to it, and the
//! equal-cost next hops are the neighbours one link closer. Later lookups are two array
//! reads, so the per-request hot path never searches the graph.

use super::ids::HostId;
use super::world::World;
use crate::engine::SimDuration;
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;

/// A node's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Host(HostId),
    /// A top-of-rack or spine switch (or any other switch of an explicit topology).
    Switch,
    /// NSX edge node number `n` (`World::nsx.edges[n]`).
    Edge(u32),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
}

/// What a link joins, for grouping link bytes in the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkClass {
    /// A host's NIC to its switch.
    Host,
    /// Between two switches (ToR to spine).
    Fabric,
    /// An edge node to its switch.
    Edge,
}

impl LinkClass {
    pub fn key(self) -> &'static str {
        match self {
            LinkClass::Host => "host",
            LinkClass::Fabric => "fabric",
            LinkClass::Edge => "edge",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Link {
    pub a: u32,
    pub b: u32,
    /// Bytes per second, each direction (links are full duplex).
    pub bytes_per_s: f64,
    pub latency: SimDuration,
    pub class: LinkClass,
}

/// Index of a computed path.
pub type PathId = u32;

/// A computed path between two nodes.
#[derive(Clone, Copy, Debug)]
pub struct Path {
    pub latency: SimDuration,
    /// Bytes per second a single flow can get: the widest equal-cost route's narrowest
    /// link (infinite for a node to itself).
    pub bottleneck: f64,
    first_hop: u32,
    hop_count: u32,
}

/// A directed link: `2 * link` is a -> b, `2 * link + 1` is b -> a.
pub type DirLink = u32;

const UNKNOWN: u32 = u32::MAX;
const UNREACHABLE: u32 = u32::MAX - 1;

/// The topology and the paths computed so far.
pub struct Topology {
    graph: UnGraph<(), u32>,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    /// Node of each host, by host id.
    host_node: Vec<u32>,
    /// Node of each edge, by edge number.
    edge_node: Vec<u32>,
    paths: Vec<Path>,
    hops: Vec<(DirLink, f32)>,
    /// By source node: the path to each destination node (UNKNOWN until asked).
    cache: Vec<Option<Box<[u32]>>>,
    /// By destination node: every node's distance to it (Dijkstra), once computed.
    dist_to: BTreeMap<u32, Box<[u64]>>,
    /// The node image pulls come from, if any.
    pub image_source: Option<u32>,
}

/// Route weight of a link: latency first, then one per hop, so equal latencies prefer
/// fewer hops (a topology has far fewer than 1024 hops on any route).
fn weight(l: &Link) -> u64 {
    l.latency.0.saturating_mul(1024).saturating_add(1)
}

impl Topology {
    /// A topology of `nodes` and `links`. Every host and edge must be among the nodes.
    pub fn new(nodes: Vec<Node>, links: Vec<Link>, hosts: usize, edges: usize) -> Topology {
        let mut graph = UnGraph::with_capacity(nodes.len(), links.len());
        for _ in &nodes {
            graph.add_node(());
        }
        for (i, l) in links.iter().enumerate() {
            graph.add_edge(
                NodeIndex::new(l.a as usize),
                NodeIndex::new(l.b as usize),
                i as u32,
            );
        }
        let mut host_node = vec![UNKNOWN; hosts];
        let mut edge_node = vec![UNKNOWN; edges];
        for (i, n) in nodes.iter().enumerate() {
            match n.kind {
                NodeKind::Host(h) => host_node[h.0 as usize] = i as u32,
                NodeKind::Edge(e) => edge_node[e as usize] = i as u32,
                NodeKind::Switch => {}
            }
        }
        let n = nodes.len();
        Topology {
            graph,
            nodes,
            links,
            host_node,
            edge_node,
            paths: Vec::new(),
            hops: Vec::new(),
            cache: vec![None; n],
            dist_to: BTreeMap::new(),
            image_source: None,
        }
    }

    /// The node of a host.
    #[inline]
    pub fn host(&self, h: HostId) -> u32 {
        self.host_node[h.0 as usize]
    }

    /// The node of edge `e`, if the topology has it.
    #[inline]
    pub fn edge(&self, e: u32) -> Option<u32> {
        self.edge_node
            .get(e as usize)
            .copied()
            .filter(|&n| n != UNKNOWN)
    }

    /// Name of a directed link, e.g. `esx-0>tor-0`.
    pub fn dir_link_name(&self, d: DirLink) -> String {
        let l = &self.links[(d / 2) as usize];
        let (from, to) = if d % 2 == 0 { (l.a, l.b) } else { (l.b, l.a) };
        format!(
            "{}>{}",
            self.nodes[from as usize].name, self.nodes[to as usize].name
        )
    }

    pub fn path_info(&self, p: PathId) -> &Path {
        &self.paths[p as usize]
    }

    /// The directed links of a path with the share of its traffic each carries.
    pub fn hops(&self, p: PathId) -> &[(DirLink, f32)] {
        let path = &self.paths[p as usize];
        &self.hops[path.first_hop as usize..(path.first_hop + path.hop_count) as usize]
    }

    /// The path from node `src` to node `dst` (None if they are not connected).
    #[inline]
    pub fn path(&mut self, src: u32, dst: u32) -> Option<PathId> {
        if let Some(row) = &self.cache[src as usize] {
            match row[dst as usize] {
                UNKNOWN => {}
                UNREACHABLE => return None,
                p => return Some(p),
            }
        }
        self.compute(src, dst)
    }

    /// The path between two hosts.
    pub fn host_path(&mut self, a: HostId, b: HostId) -> Option<PathId> {
        let (na, nb) = (self.host(a), self.host(b));
        self.path(na, nb)
    }

    #[cold]
    fn compute(&mut self, src: u32, dst: u32) -> Option<PathId> {
        let n = self.nodes.len();
        if !self.dist_to.contains_key(&dst) {
            let d =
                petgraph::algo::dijkstra(&self.graph, NodeIndex::new(dst as usize), None, |e| {
                    weight(&self.links[*e.weight() as usize])
                });
            let mut dist = vec![u64::MAX; n].into_boxed_slice();
            for (node, w) in d {
                dist[node.index()] = w;
            }
            self.dist_to.insert(dst, dist);
        }
        let dist = &self.dist_to[&dst];
        let result = if dist[src as usize] == u64::MAX {
            UNREACHABLE
        } else {
            // Walk the equal-cost DAG from src, farthest nodes first, splitting each
            // node's share equally over its next hops.
            let mut order: Vec<u32> = Vec::new();
            let mut share: BTreeMap<u32, f64> = BTreeMap::new();
            let mut widest: BTreeMap<u32, f64> = BTreeMap::new();
            // Nodes of the DAG reachable from src.
            let mut stack = vec![src];
            let mut seen = std::collections::BTreeSet::new();
            seen.insert(src);
            while let Some(u) = stack.pop() {
                order.push(u);
                for v in self.next_hops(u, dist) {
                    if seen.insert(v.1) {
                        stack.push(v.1);
                    }
                }
            }
            order.sort_by_key(|&u| std::cmp::Reverse(dist[u as usize]));
            // Bottleneck: from dst back towards src (nearest first).
            for &u in order.iter().rev() {
                let w = if u == dst {
                    f64::INFINITY
                } else {
                    self.next_hops(u, dist)
                        .iter()
                        .map(|&(l, v)| self.links[l as usize].bytes_per_s.min(widest[&v]))
                        .fold(0.0, f64::max)
                };
                widest.insert(u, w);
            }
            share.insert(src, 1.0);
            let first_hop = self.hops.len() as u32;
            let mut link_share: BTreeMap<DirLink, f64> = BTreeMap::new();
            for &u in &order {
                if u == dst {
                    continue;
                }
                let s = share.get(&u).copied().unwrap_or(0.0);
                let next = self.next_hops(u, dist);
                let each = s / next.len() as f64;
                for (l, v) in next {
                    let link = &self.links[l as usize];
                    let dir = if link.a == u { 2 * l } else { 2 * l + 1 };
                    *link_share.entry(dir).or_insert(0.0) += each;
                    *share.entry(v).or_insert(0.0) += each;
                }
            }
            for (d, s) in link_share {
                self.hops.push((d, s as f32));
            }
            self.paths.push(Path {
                latency: SimDuration(dist[src as usize] / 1024),
                bottleneck: widest[&src],
                first_hop,
                hop_count: self.hops.len() as u32 - first_hop,
            });
            (self.paths.len() - 1) as u32
        };
        let row =
            self.cache[src as usize].get_or_insert_with(|| vec![UNKNOWN; n].into_boxed_slice());
        row[dst as usize] = result;
        (result != UNREACHABLE).then_some(result)
    }

    /// The links from `u` that lie on a shortest route towards the destination whose
    /// distances are `dist`: `(link, neighbour)`, in link order.
    fn next_hops(&self, u: u32, dist: &[u64]) -> Vec<(u32, u32)> {
        let du = dist[u as usize];
        let mut out: Vec<(u32, u32)> = self
            .graph
            .edges(NodeIndex::new(u as usize))
            .filter_map(|e| {
                let l = *e.weight();
                let v = if e.source().index() as u32 == u {
                    e.target().index() as u32
                } else {
                    e.source().index() as u32
                };
                let dv = dist[v as usize];
                (dv != u64::MAX
                    && v != u
                    && dv.saturating_add(weight(&self.links[l as usize])) == du)
                    .then_some((l, v))
            })
            .collect();
        out.sort_unstable();
        out
    }
}

impl Topology {
    /// The topology of a validated network section; `host_names` and `nics` by host id.
    pub fn from_spec(
        net: &crate::scenario::NetworkSpec,
        host_names: &[String],
    ) -> Option<Topology> {
        use crate::scenario::NodeRef;
        let spec = net.topology.as_ref()?;
        let hosts = host_names.len();
        let index = |r: NodeRef| -> u32 {
            match r {
                NodeRef::Host(h) => h as u32,
                NodeRef::Switch(s) => (hosts + s) as u32,
                NodeRef::Edge(e) => (hosts + spec.switches.len() + e) as u32,
            }
        };
        let mut nodes: Vec<Node> = host_names
            .iter()
            .enumerate()
            .map(|(i, n)| Node {
                name: n.clone(),
                kind: NodeKind::Host(HostId(i as u32)),
            })
            .collect();
        nodes.extend(spec.switches.iter().map(|n| Node {
            name: n.clone(),
            kind: NodeKind::Switch,
        }));
        nodes.extend(net.edges.iter().enumerate().map(|(i, e)| Node {
            name: e.name.clone(),
            kind: NodeKind::Edge(i as u32),
        }));
        let links = spec
            .links
            .iter()
            .map(|l| {
                let class = match (l.a, l.b) {
                    (NodeRef::Host(_), _) | (_, NodeRef::Host(_)) => LinkClass::Host,
                    (NodeRef::Edge(_), _) | (_, NodeRef::Edge(_)) => LinkClass::Edge,
                    _ => LinkClass::Fabric,
                };
                Link {
                    a: index(l.a),
                    b: index(l.b),
                    bytes_per_s: l.bytes_per_s,
                    latency: l.latency,
                    class,
                }
            })
            .collect();
        let mut t = Topology::new(nodes, links, hosts, net.edges.len());
        t.image_source = net.image_source.map(index);
        Some(t)
    }
}

impl World {
    /// The topology path between two hosts, if there is a topology and a path.
    pub fn host_path(&mut self, a: HostId, b: HostId) -> Option<PathId> {
        self.topology.as_mut()?.host_path(a, b)
    }

    /// The bandwidth a vMotion from `src` to `dst` is limited to before its share: the
    /// topology path's narrowest link when a topology is given, else the narrower NIC.
    pub fn migration_path_bandwidth(&mut self, src: HostId, dst: HostId) -> f64 {
        match self.host_path(src, dst) {
            Some(p) => {
                self.topology
                    .as_ref()
                    .expect("a path means a topology")
                    .path_info(p)
                    .bottleneck
            }
            None => self.hosts[src]
                .nic_bytes_per_s
                .min(self.hosts[dst].nic_bytes_per_s),
        }
    }

    /// The path an image pull to `host` takes from the image source, with its narrowest
    /// link (None without a topology or an image source).
    pub fn image_path(&mut self, host: HostId) -> Option<(PathId, f64)> {
        let t = self.topology.as_mut()?;
        let src = t.image_source?;
        let dst = t.host(host);
        let p = t.path(src, dst)?;
        Some((p, t.path_info(p).bottleneck))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, kind: NodeKind) -> Node {
        Node {
            name: name.to_string(),
            kind,
        }
    }

    fn link(a: u32, b: u32, gbit: f64, us: u64, class: LinkClass) -> Link {
        Link {
            a,
            b,
            bytes_per_s: gbit * 1e9 / 8.0,
            latency: SimDuration(us * 1000),
            class,
        }
    }

    /// Two racks of two hosts, two spines: h0 h1 on tor0, h2 h3 on tor1.
    fn leaf_spine() -> Topology {
        let mut nodes: Vec<Node> = (0..4)
            .map(|i| node(&format!("h{i}"), NodeKind::Host(HostId(i))))
            .collect();
        for s in ["tor0", "tor1", "spine0", "spine1"] {
            nodes.push(node(s, NodeKind::Switch));
        }
        let links = vec![
            link(0, 4, 25.0, 5, LinkClass::Host),
            link(1, 4, 25.0, 5, LinkClass::Host),
            link(2, 5, 10.0, 5, LinkClass::Host),
            link(3, 5, 25.0, 5, LinkClass::Host),
            link(4, 6, 100.0, 2, LinkClass::Fabric),
            link(4, 7, 100.0, 2, LinkClass::Fabric),
            link(5, 6, 100.0, 2, LinkClass::Fabric),
            link(5, 7, 40.0, 2, LinkClass::Fabric),
        ];
        Topology::new(nodes, links, 4, 0)
    }

    #[test]
    fn a_path_in_the_rack_stays_on_its_tor() {
        let mut t = leaf_spine();
        let p = t.host_path(HostId(0), HostId(1)).unwrap();
        assert_eq!(t.path_info(p).latency, SimDuration(10_000));
        let names: Vec<String> = t.hops(p).iter().map(|h| t.dir_link_name(h.0)).collect();
        assert_eq!(names, vec!["h0>tor0", "tor0>h1"]);
        assert!(t.hops(p).iter().all(|h| h.1 == 1.0));
    }

    #[test]
    fn a_path_across_racks_splits_over_both_spines() {
        let mut t = leaf_spine();
        let p = t.host_path(HostId(1), HostId(3)).unwrap();
        assert_eq!(t.path_info(p).latency, SimDuration(14_000));
        let hops: Vec<(String, f32)> = t
            .hops(p)
            .iter()
            .map(|h| (t.dir_link_name(h.0), h.1))
            .collect();
        assert_eq!(
            hops,
            vec![
                ("h1>tor0".to_string(), 1.0),
                ("tor1>h3".to_string(), 1.0),
                ("tor0>spine0".to_string(), 0.5),
                ("tor0>spine1".to_string(), 0.5),
                ("spine0>tor1".to_string(), 0.5),
                ("spine1>tor1".to_string(), 0.5),
            ]
        );
        // Both routes are limited by the hosts' 25 Gbit/s NICs.
        assert_eq!(t.path_info(p).bottleneck, 25e9 / 8.0);
        // To h2 the 10 Gbit/s NIC is the bottleneck.
        let q = t.host_path(HostId(0), HostId(2)).unwrap();
        assert_eq!(t.path_info(q).bottleneck, 10e9 / 8.0);
        // Asking again gives the same computed path.
        assert_eq!(t.host_path(HostId(1), HostId(3)), Some(p));
    }

    #[test]
    fn the_bottleneck_is_the_widest_routes_narrowest_link() {
        // Make the spine1 route narrow at its second hop: the spine0 route still gives
        // the hosts' full 25 Gbit/s.
        let mut t = leaf_spine();
        t.links[7].bytes_per_s = 1e9 / 8.0;
        let p = t.host_path(HostId(0), HostId(3)).unwrap();
        assert_eq!(t.path_info(p).bottleneck, 25e9 / 8.0);
    }

    #[test]
    fn disconnected_nodes_have_no_path() {
        let nodes = vec![
            node("a", NodeKind::Host(HostId(0))),
            node("b", NodeKind::Host(HostId(1))),
        ];
        let mut t = Topology::new(nodes, vec![], 2, 0);
        assert_eq!(t.host_path(HostId(0), HostId(1)), None);
        assert_eq!(
            t.host_path(HostId(0), HostId(1)),
            None,
            "cached as unreachable"
        );
        let p = t.host_path(HostId(0), HostId(0)).unwrap();
        assert_eq!(t.path_info(p).latency, SimDuration::ZERO);
        assert!(t.hops(p).is_empty());
    }
}
