//! Service traffic against theory nobody here wrote (queueing formulas, Little's law),
//! load-balancer behaviour the NSX documentation states (least connection vs round robin,
//! health monitor timing, IP-hash stickiness), and tiny hand-built cases with an exact
//! outcome (path latencies, bytes per link, vMotion over the narrowest link).

use super::golden::{run_example, run_file};
use super::model::run;
use pacsim::engine::{SimDuration, SimTime};
use pacsim::model::traffic::{Completion, RequestError};
use pacsim::model::{Observer, World};
use pacsim::scenario::load_str;
use std::collections::BTreeMap;
use std::path::Path;

fn f(m: &serde_json::Value, key: &str) -> f64 {
    m[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no metric `{key}`"))
}

/// One pod behind a load balancer, Poisson clients, exponential (or `dist`) service with
/// mean 1 ms, no network delay (zero-byte requests, no topology), an unbounded queue.
fn single_queue(rate: f64, workers: u32, discipline: &str, dist: &str, duration: &str) -> String {
    format!(
        r#"
name: queue
seed: 5
duration: {duration}
clusters:
  - name: c
    hosts: [ {{ name: h, count: 1, cores: 8, mhz: 2GHz, memory: 16GiB }} ]
    pods: {{ startup_delay: 0s }}
images: [ {{ name: app, size: 1MB }} ]
workloads:
  - {{ kind: pod-group, name: server, image: app, arrival: {{ at_start: 1 }}, requests: {{ cpu: 1, memory: 1GiB }} }}
network:
  load_balancers: [ {{ name: lb, size: LARGE, cps: 1000000 }} ]
services:
  - name: s
    type: LoadBalancer
    endpoints: server
    server: {{ service_time: {dist}, workers: {workers}, discipline: {discipline}, queue_limit: 10000000 }}
    request: {{ size: 0B, response: 0B }}
    clients: [ {{ poisson: {{ rate: {rate}/s }}, start: 1s }} ]
"#
    )
}

const EXP_1MS: &str = "{ exponential: { mean: 1ms } }";

#[test]
fn one_endpoint_m_m_1_mean_response_is_1_over_mu_minus_lambda() {
    // mu = 1000/s. Runs of about 0.5, 1 and 2 million requests: the sample mean's error
    // shrinks as 1/sqrt(n) but grows steeply with utilisation.
    for (rho, duration) in [(0.5, "1000s"), (0.8, "1250s"), (0.9, "2200s")] {
        let lambda = rho * 1000.0;
        let (m, _) = run(&single_queue(lambda, 1, "fifo", EXP_1MS, duration));
        let w = f(&m, "service.s.latency_mean_s");
        let theory = 1.0 / (1000.0 - lambda);
        let err = w / theory - 1.0;
        assert!(
            err.abs() < 0.03,
            "rho {rho}: mean response {w:.6} s vs 1/(mu - lambda) = {theory:.6} s ({:+.2}%)",
            err * 100.0
        );
        assert_eq!(f(&m, "requests_failed"), 0.0);
    }
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue of offered load
/// `a = lambda / mu` (in erlangs).
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / (k + 1) as f64;
    }
    let top = term * c as f64 / (c as f64 - a);
    top / (sum + top)
}

#[test]
fn four_workers_behind_one_queue_wait_as_erlang_c_says() {
    // M/M/4 at rho 0.8: a = 3.2 erlangs; mean wait = C(4, a) / (c mu - lambda).
    let (c, mu, lambda) = (4u32, 1000.0, 3200.0);
    let (m, _) = run(&single_queue(lambda, c, "fifo", EXP_1MS, "400s"));
    let wait = f(&m, "service.s.latency_mean_s") - 1.0 / mu;
    let theory = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda);
    let err = wait / theory - 1.0;
    assert!(
        err.abs() < 0.03,
        "mean wait {wait:.6} s vs Erlang C {theory:.6} s ({:+.2}%)",
        err * 100.0
    );
    assert!(
        (erlang_c(4, 3.2) - 0.5964).abs() < 1e-3,
        "the formula itself"
    );
}

#[test]
fn processor_sharing_is_insensitive_to_the_service_distribution() {
    // M/G/1-PS: mean response E[S] / (1 - rho) whatever the distribution; deterministic
    // 1 ms service at rho 0.8 gives 5 ms (FIFO would give M/D/1's 3 ms).
    let (m, _) = run(&single_queue(
        800.0,
        1,
        "processor-sharing",
        "{ fixed: 1ms }",
        "500s",
    ));
    let w = f(&m, "service.s.latency_mean_s");
    assert!((w / 0.005 - 1.0).abs() < 0.03, "PS mean response {w}");
    let (m, _) = run(&single_queue(800.0, 1, "fifo", "{ fixed: 1ms }", "500s"));
    let w = f(&m, "service.s.latency_mean_s");
    // M/D/1: W = S + rho S / (2 (1 - rho)).
    assert!((w / 0.003 - 1.0).abs() < 0.03, "M/D/1 mean response {w}");
}

#[test]
fn littles_law_holds_for_every_service_of_every_example() {
    for stem in ["lb-algorithms", "dlb-vs-central", "lb-member-failure"] {
        let (m, _, rec) = run_example(stem, &[]);
        for s in &rec.traffic.services {
            let p = format!("service.{}.", s.name);
            let l = f(&m, &format!("{p}mean_in_system"));
            let lambda_w =
                f(&m, &format!("{p}throughput_rps")) * f(&m, &format!("{p}latency_mean_s"));
            assert!(
                (l / lambda_w - 1.0).abs() < 0.01,
                "{stem}/{}: L = {l} but lambda W = {lambda_w}",
                s.name
            );
        }
    }
}

#[test]
fn least_connection_beats_round_robin_with_unequal_members_and_weights_match_it() {
    let (m, _, _) = run_example("lb-algorithms", &[]);
    let g = |s: &str, k: &str| f(&m, &format!("service.{s}.{k}"));
    assert!(
        g("lc", "latency_p99_s") < g("rr", "latency_p99_s"),
        "LC p99 {} vs RR p99 {}",
        g("lc", "latency_p99_s"),
        g("rr", "latency_p99_s")
    );
    let ratio = g("wrr", "latency_mean_s") / g("lc", "latency_mean_s");
    assert!(
        (ratio - 1.0).abs() < 0.05,
        "WRR (weights 2:1 = speed) mean {} vs LC mean {}",
        g("wrr", "latency_mean_s"),
        g("lc", "latency_mean_s")
    );
    // Round robin splits evenly whatever the speed; weighted round robin 2:1.
    assert!((g("rr", "busiest_member_share") - 0.25).abs() < 0.001);
    assert!((g("wrr", "busiest_member_share") - 1.0 / 3.0).abs() < 0.001);
}

/// Records what the failure and stickiness tests need.
#[derive(Default)]
struct Watch {
    health: Vec<(SimTime, String, bool)>,
    failures: Vec<(SimTime, RequestError)>,
    faults: Vec<(SimTime, bool)>,
    /// (time, service, client, endpoint pod name)
    answers: Vec<(SimTime, u32, u32, u32)>,
    names: BTreeMap<u32, String>,
}

impl Observer for Watch {
    fn member_health(&mut self, now: SimTime, world: &World, pool: u32, member: u32, up: bool) {
        let s = world.traffic.service_of_pool(pool).unwrap();
        let ep = world.traffic.member_endpoint(s, member).unwrap();
        self.health
            .push((now, world.traffic.endpoint_name(world, ep), up));
    }
    fn request_failed(&mut self, now: SimTime, _s: u32, why: RequestError, _sent: bool) {
        self.failures.push((now, why));
    }
    fn fault(&mut self, now: SimTime, _w: &World, _f: u32, started: bool, _hits: u32) {
        self.faults.push((now, started));
    }
    fn request_done(&mut self, now: SimTime, d: &Completion) {
        self.answers.push((now, d.service, d.client, d.endpoint));
    }
    fn endpoint_changed(&mut self, _now: SimTime, world: &World, ep: u32, added: bool) {
        if added {
            self.names
                .insert(ep, world.traffic.endpoint_name(world, ep));
        }
    }
}

fn watch_example(stem: &str, sets: &[&str]) -> Watch {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/examples/{stem}.yaml"));
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let scenario = pacsim::scenario::load_file(&path, &sets).unwrap();
    let mut world = pacsim::model::build(&scenario, 0);
    let mut w = Watch::default();
    pacsim::model::run(&mut world, &mut w, &mut |_| {});
    w
}

const S: u64 = 1_000_000_000;

#[test]
fn a_failed_member_leaves_after_fall_count_probes_and_returns_after_rise_count() {
    let w = watch_example("lb-member-failure", &[]);
    let (fail_at, repair_at) = (w.faults[0].0, w.faults[1].0);
    assert!(w.faults[0].1 && !w.faults[1].1);
    assert_eq!(w.health.len(), 2, "{:?}", w.health);
    let (down_at, ref name, up) = w.health[0];
    assert_eq!((name.as_str(), up), ("web-2", false));
    // fall_count x interval = 15 s, give or take one interval (the probe phase).
    let took = down_at.since(fail_at);
    assert!(
        (10 * S..=20 * S).contains(&took.0),
        "removed {took} after it failed"
    );
    // Requests sent to it in the meantime failed, and were counted; none after.
    let lost: Vec<&(SimTime, RequestError)> = w.failures.iter().collect();
    assert!(lost.len() > 100, "{} failures", lost.len());
    assert!(lost
        .iter()
        .all(|(t, why)| *why == RequestError::MemberFailed && *t >= fail_at && *t <= down_at));
    let (up_at, ref name, up) = w.health[1];
    assert_eq!((name.as_str(), up), ("web-2", true));
    let back = up_at.since(repair_at);
    assert!(
        (10 * S..=20 * S).contains(&back.0),
        "back {back} after repair"
    );
    // It takes requests again (slow start ramps it in) and answers them.
    let web2 = *w.names.iter().find(|(_, n)| *n == "web-2").unwrap().0;
    let served_after = w
        .answers
        .iter()
        .filter(|a| a.3 == web2 && a.0 > up_at)
        .count();
    let served_down = w
        .answers
        .iter()
        .filter(|a| a.3 == web2 && a.0 > down_at && a.0 < up_at)
        .count();
    assert_eq!(served_down, 0, "no answers from a member out of the pool");
    assert!(served_after > 1000, "{served_after} after coming back");
}

#[test]
fn a_hung_member_is_found_only_when_its_probes_time_out() {
    // Silent: the first failing probe's result comes 15 s (the timeout) after it was
    // sent, so removal takes (fall_count - 1) x interval + timeout = 25 s, give or take
    // one interval.
    let w = watch_example("lb-member-failure", &["faults[0].mode=hang"]);
    let took = w.health[0].0.since(w.faults[0].0);
    assert!(
        (20 * S..=30 * S).contains(&took.0),
        "hung member removed {took} after it failed"
    );
}

#[test]
fn ip_hash_keeps_every_client_on_one_member_while_membership_is_unchanged() {
    let w = watch_example("lb-algorithms", &[]);
    let hash = 4; // services[4] is `hash`
    let mut seen: BTreeMap<u32, u32> = BTreeMap::new();
    let mut answers = 0;
    for &(_, s, client, ep) in &w.answers {
        if s != hash {
            continue;
        }
        answers += 1;
        let first = *seen.entry(client).or_insert(ep);
        assert_eq!(first, ep, "client {client} moved from {first} to {ep}");
    }
    assert!(
        answers > 100_000 && seen.len() > 4000,
        "{answers} answers, {} clients",
        seen.len()
    );
    // When a member leaves, only its clients move (each to one other member), and they
    // come back when it returns.
    let w = watch_example("lb-member-failure", &["services[0].pool.algorithm=IP_HASH"]);
    let (fault, down, up) = (w.faults[0].0, w.health[0].0, w.health[1].0);
    let web2 = *w.names.iter().find(|(_, n)| *n == "web-2").unwrap().0;
    let mut home: BTreeMap<u32, u32> = BTreeMap::new();
    let mut away: BTreeMap<u32, u32> = BTreeMap::new();
    for &(t, _, client, ep) in &w.answers {
        if t < fault {
            let h = *home.entry(client).or_insert(ep);
            assert_eq!(h, ep);
            continue;
        }
        let Some(&h) = home.get(&client) else {
            continue;
        };
        let margin = SimDuration::from_secs(1); // requests sent just before a change
        if h != web2 || t > up + margin {
            assert_eq!(
                ep, h,
                "client {client} of member {h} answered by {ep} at {t}"
            );
        } else if t > down + margin && t < up {
            assert_ne!(ep, web2);
            let other = *away.entry(client).or_insert(ep);
            assert_eq!(other, ep, "client {client} moved twice while web-2 was out");
        }
    }
    assert!(!away.is_empty(), "web-2's clients went elsewhere");
}

/// Two hosts in one rack: a client pod on one, a server pod on the other.
const TWO_HOSTS: &str = r#"
name: exact
duration: 11s
clusters:
  - name: c
    hosts: [ { name: h, count: 2, cores: 8, mhz: 2GHz, memory: 16GiB, nic: 10Gbit/s } ]
    pods: { startup_delay: 0s }
images: [ { name: app, size: 1MB } ]
workloads:
  - { kind: pod-group, name: client, image: app, arrival: { at_start: 1 }, requests: { cpu: 1, memory: 1GiB } }
  - { kind: pod-group, name: server, image: app, arrival: { at_start: SERVERS }, requests: { cpu: 1, memory: 1GiB } }
network: { racks: 1, host_link_latency: 5us }
services:
  - name: s
    endpoints: server
    server: { service_time: { fixed: 10ms } }
    clients: [ { from: client, closed: { users: 1, think_time: { fixed: 90ms } }, start: 1s } ]
"#;

#[test]
fn a_closed_loop_user_sees_service_plus_the_path_latency_both_ways() {
    // The client pod is on h-0, the server on h-1 (least-loaded spreads them): the path
    // h-0 > tor-0 > h-1 is 2 x 5 us each way. Every request takes 10 ms + 20 us; the user
    // sends again 90 ms after each answer, from 1.09 s (its first think), so sends are
    // 100.02 ms apart: 100 by 11 s, of which the last is still in service at the end.
    let (m, rec) = run(&TWO_HOSTS.replace("SERVERS", "1"));
    assert_eq!(m["service.s.requests_sent"], 100);
    assert_eq!(m["service.s.requests_completed"], 99);
    assert!((f(&m, "service.s.latency_mean_s") - 0.01002).abs() < 1e-12);
    // Bytes: each answered request put 1 KB on the two host links one way and 10 KB the
    // other way.
    assert_eq!(m["network.bytes_host_links"], 99 * 2 * (1_000 + 10_000));
    assert_eq!(m["network.bytes_fabric_links"], 0, "one rack: no spine");
    assert_eq!(rec.traffic.members.len(), 1);
}

#[test]
fn round_robin_takes_the_members_in_turn() {
    let (m, rec) = run(&TWO_HOSTS.replace("SERVERS", "3"));
    assert_eq!(m["service.s.requests_completed"], 99);
    let served: Vec<u64> = rec.traffic.members.iter().map(|x| x.served).collect();
    assert_eq!(served, vec![33, 33, 33]);
}

#[test]
fn the_load_balancer_size_caps_new_connections_per_second() {
    // 100 connections per second accepted (a full bucket of 100 first), 300/s offered.
    let yaml = single_queue(300.0, 64, "fifo", EXP_1MS, "21s")
        .replace("size: LARGE, cps: 1000000", "size: SMALL, cps: 100");
    let (m, _) = run(&yaml);
    let accepted = m["lb.lb.connections"].as_u64().unwrap();
    assert!(
        (2000..=2101).contains(&accepted),
        "{accepted} accepted in 20 s at 100/s"
    );
    assert_eq!(
        m["requests_failed_lb_rate_limited"].as_u64().unwrap(),
        m["lb.lb.refused"].as_u64().unwrap()
    );
    assert!(f(&m, "requests_failed_lb_rate_limited") > 3500.0);
}

#[test]
fn traffic_through_an_edge_shares_its_capacity() {
    // 10 KB answers at 200/s through an edge of 1 MB/s: 2 MB/s offered, so the edge is
    // saturated and answers queue there.
    let yaml = single_queue(200.0, 64, "fifo", EXP_1MS, "30s")
        .replace(
            "request: { size: 0B, response: 0B }",
            "request: { size: 0B, response: 10KB }",
        )
        .replace(
            "network:\n",
            "network:\n  edges: [ { name: edge-0, throughput: 1MB/s } ]\n",
        );
    let (m, _) = run(&yaml);
    assert!(f(&m, "edge.edge-0.utilisation") > 0.9);
    assert!(
        f(&m, "service.s.latency_p50_s") > 1.0,
        "answers wait at the edge"
    );
}

#[test]
fn vmotion_over_a_topology_is_limited_by_the_narrowest_link() {
    // One 1 GiB VM that dirties nothing moves off h-0 for maintenance to h-1 in the other
    // rack: the 1 Gbit/s uplinks, not the 10 Gbit/s NICs, limit it. Half the path
    // (CloudSim's share): 62.5 MB/s, so 1 GiB takes 17.18 s; without a topology, half
    // the 10 Gbit/s NIC: 1.72 s.
    let base = r#"
name: vm
duration: 1m
clusters:
  - name: c
    hosts: [ { name: h, count: 2, cores: 8, mhz: 2GHz, memory: 16GiB, nic: 10Gbit/s } ]
    placement: { policy: first-fit }
workloads:
  - { kind: vm-group, name: v, arrival: { at_start: 1 }, size: { vcpus: 1, memory: 1GiB }, dirty_rate: 0B/s }
maintenance: [ { host: h-0, at: 10s } ]
"#;
    let (m, _) = run(base);
    assert!((f(&m, "vmotion_duration_max_s") - 1.718).abs() < 0.01);
    let (m, _) = run(&format!(
        "{base}network: {{ racks: 2, hosts_per_rack: 1, uplink: 1Gbit/s }}\n"
    ));
    let d = f(&m, "vmotion_duration_max_s");
    assert!((d - 17.18).abs() < 0.05, "{d}");
    // The VM's memory crossed the fabric: tor-0 > spine and spine > tor-1, split over
    // the two spines.
    let fabric = f(&m, "network.bytes_fabric_links");
    assert!((fabric - 2.0 * (1u64 << 30) as f64).abs() < 1e3, "{fabric}");
}

#[test]
fn nothing_is_lost_every_request_is_answered_failed_or_in_flight() {
    for stem in ["lb-algorithms", "dlb-vs-central", "lb-member-failure"] {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/examples/{stem}.yaml"));
        let (_, world, rec) = run_file(&path, &[]);
        for (si, s) in rec.traffic.services.iter().enumerate() {
            let failed_after_send: u64 = [
                RequestError::QueueFull,
                RequestError::MemberFailed,
                RequestError::MemberRemoved,
            ]
            .iter()
            .map(|w| s.failed[w.index()])
            .sum::<u64>();
            let in_flight = world.traffic.in_flight(si as u32);
            assert_eq!(
                s.sent,
                s.completed + failed_after_send + in_flight,
                "{stem}/{}",
                s.name
            );
            // The pool's open connections are exactly the requests in flight.
            let pool = &world.nsx.pools[world.traffic.services[si].pool as usize];
            let open: u64 = (0..pool.members.len() as u32)
                .filter(|&m| pool.members[m as usize].present)
                .map(|m| pool.open_connections(m) as u64)
                .sum();
            assert_eq!(open, in_flight, "{stem}/{}", s.name);
        }
    }
}

/// Counts for the conservation property.
#[derive(Default)]
struct Tally {
    sent: u64,
    done: u64,
    failed_after_send: u64,
    fault_windows: Vec<(SimTime, Option<SimTime>)>,
    /// (time, endpoint pod number) of every answer.
    answers: Vec<(SimTime, u32)>,
}

impl Observer for Tally {
    fn request_sent(&mut self, _now: SimTime, _s: u32) {
        self.sent += 1;
    }
    fn request_done(&mut self, now: SimTime, d: &Completion) {
        self.done += 1;
        self.answers.push((now, d.endpoint));
    }
    fn request_failed(&mut self, _now: SimTime, _s: u32, _why: RequestError, sent: bool) {
        self.failed_after_send += sent as u64;
    }
    fn fault(&mut self, now: SimTime, _w: &World, _f: u32, started: bool, _hits: u32) {
        if started {
            self.fault_windows.push((now, None));
        } else if let Some(w) = self.fault_windows.last_mut() {
            w.1 = Some(now);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Whatever the algorithm, discipline, balancing, topology and fault: every request
    /// sent is answered, failed or still in flight at the end; the pools' open
    /// connections are exactly those in flight; and a failed pod answers nothing while
    /// it is down.
    #[test]
    fn nothing_is_lost_and_a_failed_pod_answers_nothing(
        alg in proptest::sample::select(vec!["ROUND_ROBIN", "WEIGHTED_ROUND_ROBIN", "LEAST_CONNECTION", "WEIGHTED_LEAST_CONNECTION", "IP_HASH"]),
        sharing in proptest::bool::ANY,
        workers in 1u32..4,
        queue in 0u32..20,
        rate in 50u32..600,
        central in proptest::bool::ANY,
        topology in proptest::bool::ANY,
        fault in proptest::option::of((1u32..15, 1u32..10, proptest::bool::ANY)),
        seed in 0u64..1000,
    ) {
        let balance = if central { "load_balancer: lb-0\n    " } else { "" };
        let net = if topology { "network: { racks: 2 }\n" } else { "" };
        let faults = match fault {
            Some((at, len, hang)) => format!(
                "faults: [ {{ at: {at}s, pod_fails: web-1, repair_after: {len}s, mode: {} }} ]\n",
                if hang { "hang" } else { "crash" }
            ),
            None => String::new(),
        };
        let yaml = format!(r#"
name: prop
seed: {seed}
duration: 20s
clusters:
  - name: c
    hosts: [ {{ name: fast, count: 2, cores: 8, mhz: 3GHz, memory: 32GiB }}, {{ name: slow, count: 2, cores: 8, mhz: 1.5GHz, memory: 32GiB }} ]
    pods: {{ startup_delay: 0s }}
images: [ {{ name: app, size: 1MB }} ]
workloads:
  - {{ kind: pod-group, name: client, image: app, arrival: {{ at_start: 3 }}, requests: {{ cpu: 1, memory: 1GiB }} }}
  - {{ kind: pod-group, name: web, image: app, arrival: {{ at_start: 4 }}, requests: {{ cpu: 1, memory: 1GiB }} }}
{net}services:
  - name: s
    {balance}endpoints: web
    pool: {{ algorithm: {alg}, weights: [ {{ hosts: fast, weight: 2 }} ], monitor: {{ interval: 1s, timeout: 2s }} }}
    server: {{ service_time: {{ exponential: {{ mean: 5ms }} }}, workers: {workers}, queue_limit: {queue}, discipline: {} }}
    clients: [ {{ from: client, poisson: {{ rate: {rate}/s }} }}, {{ from: client, closed: {{ users: 5, think_time: {{ fixed: 20ms }} }} }} ]
{faults}"#, if sharing { "processor-sharing" } else { "fifo" });
        let scenario = load_str("prop.yaml", &yaml, &[]).unwrap_or_else(|e| panic!("{}", e.render()));
        let mut world = pacsim::model::build(&scenario, 0);
        let mut t = Tally::default();
        pacsim::model::run(&mut world, &mut t, &mut |_| {});
        let in_flight = world.traffic.in_flight(0);
        proptest::prop_assert_eq!(t.sent, t.done + t.failed_after_send + in_flight);
        let pool = &world.nsx.pools[0];
        let open: u64 = (0..pool.members.len() as u32)
            .filter(|&m| pool.members[m as usize].present)
            .map(|m| pool.open_connections(m) as u64)
            .sum();
        proptest::prop_assert_eq!(open, in_flight);
        let web1 = (0..world.traffic.endpoints.len() as u32)
            .find(|&e| world.traffic.endpoint_name(&world, e) == "web-1");
        for &(from, to) in &t.fault_windows {
            let to = to.unwrap_or(SimTime::NEVER);
            let during = t.answers.iter().filter(|(at, ep)| Some(*ep) == web1 && *at > from && *at < to).count();
            proptest::prop_assert_eq!(during, 0, "web-1 answered while failed");
        }
    }
}
