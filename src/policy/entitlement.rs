//! How a host's CPU and memory are divided among the VMs (and pods) on it: their
//! **entitlements**.
//!
//! vSphere's resource allocation gives every VM at least its reservation and never more
//! than its limit, and a VM never gets more than it demands unless its reservation says
//! so; when the host cannot satisfy everyone, the capacity left after reservations is
//! divided in proportion to shares (vSphere Resource Management guide, "Resource
//! Allocation Shares", "Reservation", "Limit"). DRS balances on these entitlements: host
//! load = sum of entitlements / capacity.
//!
//! The formula, for a host of capacity `C` and VMs `i` with reservation `r_i`, limit
//! `l_i`, demand `d_i` and shares `s_i`:
//!
//! - the VM *wants* `w_i = max(r_i, min(d_i, l_i))`;
//! - uncontended (`sum w_i <= C`): `e_i = w_i`;
//! - contended: `e_i = min(w_i, r_i + s_i * x)`, where the level `x >= 0` is the one at
//!   which `sum e_i = C` ("water-filling", weighted max-min fairness). VMs whose wants are
//!   met at that level get exactly what they want; the others share what is left in
//!   proportion to their shares. Reservations are admitted only when they fit
//!   (`sum r_i <= C`, which placement guarantees), so `x` exists.
//!
//! Found by sorting the VMs by the level at which they would be satisfied,
//! `(w_i - r_i) / s_i`, and filling in that order: O(k log k) for k VMs.

/// One VM's claim on a host's CPU, in MHz (shares are unitless weights).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claim {
    pub reservation: f64,
    pub limit: f64,
    pub demand: f64,
    pub shares: f64,
}

/// CPU shares of a VM at vSphere's "Normal" level: 1,000 per vCPU ("Low" is 500, "High"
/// 2,000; vSphere Resource Management guide, "Share Allocation Symbols").
pub const NORMAL_SHARES_PER_VCPU: f64 = 1000.0;

/// Memory shares of a VM at "Normal": 10 per MB of configured memory ("Low" 5, "High" 20;
/// the same guide and table). Memory entitlements use the same formula as CPU.
pub const NORMAL_MEMORY_SHARES_PER_MB: f64 = 10.0;

impl Claim {
    /// What the VM would get on an idle host.
    pub fn want(&self) -> f64 {
        self.demand.min(self.limit).max(self.reservation)
    }
}

/// The entitlement of each claim on a host of `capacity`, in the same order.
pub fn entitlements(capacity: f64, claims: &[Claim]) -> Vec<f64> {
    let wants: Vec<f64> = claims.iter().map(Claim::want).collect();
    if wants.iter().sum::<f64>() <= capacity {
        return wants;
    }
    let mut out: Vec<f64> = claims.iter().map(|c| c.reservation).collect();
    let mut left = capacity - out.iter().sum::<f64>();
    // VMs that want more than their reservation, by the level at which they are satisfied.
    let mut open: Vec<usize> = (0..claims.len())
        .filter(|&i| wants[i] > claims[i].reservation && claims[i].shares > 0.0)
        .collect();
    let level = |i: usize| (wants[i] - claims[i].reservation) / claims[i].shares;
    open.sort_by(|&a, &b| level(a).total_cmp(&level(b)).then(a.cmp(&b)));
    let mut shares_open: f64 = open.iter().map(|&i| claims[i].shares).sum();
    for (k, &i) in open.iter().enumerate() {
        let x = left.max(0.0) / shares_open;
        if level(i) <= x {
            // Satisfied below the common level: takes exactly what it wants.
            out[i] = wants[i];
            left -= wants[i] - claims[i].reservation;
            shares_open -= claims[i].shares;
        } else {
            // Everyone from here on stops at the common level.
            for &j in &open[k..] {
                out[j] = claims[j].reservation + claims[j].shares * x;
            }
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(reservation: f64, limit: f64, demand: f64, shares: f64) -> Claim {
        Claim {
            reservation,
            limit,
            demand,
            shares,
        }
    }

    #[test]
    fn an_uncontended_host_gives_each_vm_its_demand_within_reservation_and_limit() {
        let e = entitlements(
            10_000.0,
            &[
                claim(0.0, 4000.0, 1500.0, 4000.0),   // demand
                claim(2000.0, 4000.0, 500.0, 4000.0), // raised to its reservation
                claim(0.0, 1000.0, 3000.0, 4000.0),   // capped at its limit
            ],
        );
        assert_eq!(e, vec![1500.0, 2000.0, 1000.0]);
    }

    #[test]
    fn contention_is_split_by_shares_after_reservations() {
        // 6000 MHz; wants 4000 + 4000 + 4000 = 12000. VM a reserves 3000. The other 3000
        // go by shares 1:1:2 at a common level x: a gets 3000 + 1x (wants 1000 more),
        // b 0 + 1x, c 0 + 2x. a is satisfied at x = 1000 > 3000 / 4 = 750, so nobody is:
        // x = 750, a = 3750, b = 750, c = 1500.
        let e = entitlements(
            6000.0,
            &[
                claim(3000.0, 8000.0, 4000.0, 1000.0),
                claim(0.0, 8000.0, 4000.0, 1000.0),
                claim(0.0, 8000.0, 4000.0, 2000.0),
            ],
        );
        assert_eq!(e, vec![3750.0, 750.0, 1500.0]);
        assert_eq!(e.iter().sum::<f64>(), 6000.0);
    }

    #[test]
    fn a_small_demand_is_met_and_the_rest_share_what_it_leaves() {
        // 3000 MHz; a wants 500, b and c want 3000 each, equal shares. a is satisfied at
        // level 500 < 3000 / 3; then b and c split the remaining 2500: 1250 each.
        let e = entitlements(
            3000.0,
            &[
                claim(0.0, 4000.0, 500.0, 1.0),
                claim(0.0, 4000.0, 3000.0, 1.0),
                claim(0.0, 4000.0, 3000.0, 1.0),
            ],
        );
        assert_eq!(e, vec![500.0, 1250.0, 1250.0]);
    }

    #[test]
    fn entitlements_never_exceed_capacity_or_leave_it_idle_under_contention() {
        let mut rng = crate::engine::StreamFactory::new(9, 0).stream("claims");
        for _ in 0..2000 {
            let n = 1 + rng.below(8) as usize;
            let capacity = 1000.0 + 9000.0 * rng.uniform();
            let mut reserved = 0.0;
            let claims: Vec<Claim> = (0..n)
                .map(|_| {
                    let r = (capacity / n as f64) * rng.uniform() * 0.5;
                    reserved += r;
                    claim(
                        r,
                        r + 4000.0 * rng.uniform(),
                        5000.0 * rng.uniform(),
                        1.0 + 3.0 * rng.uniform(),
                    )
                })
                .collect();
            assert!(reserved <= capacity);
            let e = entitlements(capacity, &claims);
            let wants: f64 = claims.iter().map(Claim::want).sum();
            let total: f64 = e.iter().sum();
            assert!(total <= capacity + 1e-6);
            assert!(
                (total - wants.min(capacity)).abs() < 1e-6,
                "work-conserving: {total} vs {wants}"
            );
            for (c, x) in claims.iter().zip(&e) {
                assert!(*x >= c.reservation - 1e-9 && *x <= c.want() + 1e-9);
            }
        }
    }
}
