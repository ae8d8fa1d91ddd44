//! Dynamic VM consolidation: the decisions of one control pass, as Beloglazov and Buyya
//! published them ("Optimal online deterministic algorithms and adaptive heuristics for
//! energy and performance efficient dynamic consolidation of virtual machines in cloud
//! data centers", CCPE 24(13), 2012) and as CloudSim implements them
//! (`org.cloudbus.cloudsim.power`: `PowerVmAllocationPolicyMigration*`,
//! `PowerVmSelectionPolicy*`, `util/MathUtil`). A pure function of a snapshot: the model
//! (`model/consolidation.rs`) builds the snapshot and carries the plan out.
//!
//! One pass ([`plan`]):
//!
//! 1. **Overload detection** on every awake host ([`Detector`]): THR (utilisation above a
//!    static threshold), IQR and MAD (above `1 − s × IQR` or `1 − s × MAD` of the host's
//!    utilisation history), LR and LRR (`s ×` the utilisation a regression over the last
//!    10 history values predicts for the end of the longest migration off the host is
//!    at least 1). While a host's history is too short (IQR/MAD: fewer than 12 values,
//!    LR/LRR: fewer than 10) it is judged by a static fallback threshold (0.7).
//! 2. **VM selection** on each overloaded host, one VM at a time until the detector no
//!    longer finds it overloaded ([`Selection`]): MMT (least memory, so the quickest to
//!    migrate), RS (uniformly at random), MC (the VM whose history the others' histories
//!    explain best, by multiple regression R²; MMT while that cannot be computed).
//! 3. **Placement** of those VMs by PABFD (power-aware best fit decreasing): sorted by CPU
//!    demand, largest first, each to the host whose power grows least, among the hosts
//!    that have the CPU (and the memory, if checked) and that the detector would not find
//!    overloaded with it; sleeping hosts are candidates (they wake).
//! 4. **Underload**: the awake host with the least utilisation (above 0) is emptied if
//!    all its VMs fit on hosts not yet considered (PABFD again, all or nothing), then
//!    the next least-used one, until every host has been considered. Emptied hosts go to
//!    sleep once their VMs have left (the model does that).
//!
//! Host power and utilisation for ranking are those at the start of the pass (CloudSim
//! ranks by the host's utilisation from its last update, not counting the VMs placed on
//! it earlier in the same pass; capacity and the detector do count them). One deliberate
//! difference from CloudSim: hosts chosen as destinations for the VMs of overloaded hosts
//! are not then emptied as underloaded in the same pass (CloudSim's code means to exclude
//! them but passes an empty list; following it literally can move a VM twice in a pass).

use crate::engine::RngStream;
use crate::scenario::{OverloadDetector, PowerModel, VmSelection};

/// The detectors and selections, as `pacsim policies` lists them.
pub const CATALOGUE: [(&str, &str); 8] = [
    (
        "thr",
        "overloaded above a static utilisation threshold (safety, default 0.8)",
    ),
    (
        "iqr",
        "overloaded above 1 - safety x IQR of the host's history (default 1.5)",
    ),
    (
        "mad",
        "overloaded above 1 - safety x MAD of the host's history (default 2.5)",
    ),
    (
        "lr",
        "overloaded when safety x the local-regression forecast >= 1 (default 1.2)",
    ),
    (
        "lrr",
        "as lr, with CloudSim's robust (bisquare) re-weighting (default 1.2)",
    ),
    (
        "mmt",
        "selection: the VM with the least memory (minimum migration time)",
    ),
    ("rs", "selection: a VM at random"),
    (
        "mc",
        "selection: the VM whose history the others' explain best (max correlation)",
    ),
];

/// How many past utilisation values a VM keeps (CloudSim `PowerVm.HISTORY_LENGTH`).
pub const HISTORY_LENGTH: usize = 30;
/// Fewest history values IQR and MAD use ("12 has been suggested as a safe value",
/// CloudSim `PowerVmAllocationPolicyMigrationInterQuartileRange`).
pub const ADAPTIVE_MIN_HISTORY: usize = 12;
/// History values the local regressions fit, the most recent ones ("we use 10 to make
/// the regression responsive enough to latest values", CloudSim
/// `PowerVmAllocationPolicyMigrationLocalRegression`).
pub const REGRESSION_LENGTH: usize = 10;

/// An overload detector with its parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detector {
    pub kind: OverloadDetector,
    /// THR's threshold; IQR's, MAD's, LR's and LRR's safety parameter.
    pub safety: f64,
    /// The static threshold while the history is too short.
    pub fallback_threshold: f64,
    /// The control interval, seconds (LR predicts this many intervals ahead per
    /// migration time).
    pub interval_s: f64,
}

/// A host's load as a detector sees it.
#[derive(Clone, Copy, Debug)]
pub struct HostLoad<'a> {
    /// CPU the VMs on it request, MHz.
    pub requested_mhz: f64,
    pub capacity_mhz: f64,
    /// Utilisation history, most recent first, trimmed of trailing zeros (at least one
    /// value).
    pub history: &'a [f64],
    /// The longest migration off the host, seconds (the largest VM's memory over the
    /// migration bandwidth).
    pub max_migration_s: f64,
}

impl Detector {
    /// Whether the host is overloaded.
    pub fn overloaded(&self, h: &HostLoad) -> bool {
        let mut buf = [0.0; HISTORY_LENGTH];
        let n = h.history.len().min(HISTORY_LENGTH);
        buf[..n].copy_from_slice(&h.history[..n]);
        self.overloaded_with(h, &mut buf[..n])
    }

    /// [`overloaded`](Self::overloaded), with the history in a buffer it may reorder.
    fn overloaded_with(&self, h: &HostLoad, history: &mut [f64]) -> bool {
        let utilisation = h.requested_mhz / h.capacity_mhz;
        let fallback = || utilisation > self.fallback_threshold;
        match self.kind {
            OverloadDetector::Thr => utilisation > self.safety,
            OverloadDetector::Iqr | OverloadDetector::Mad => {
                if history.len() < ADAPTIVE_MIN_HISTORY {
                    return fallback();
                }
                let spread = if self.kind == OverloadDetector::Iqr {
                    iqr_in_place(history)
                } else {
                    mad_in_place(history)
                };
                utilisation > 1.0 - self.safety * spread
            }
            OverloadDetector::Lr | OverloadDetector::Lrr => {
                match self.predicted(h) {
                    None => fallback(),
                    // A NaN prediction is not >= 1: not overloaded (as in CloudSim).
                    Some(p) => p >= 1.0,
                }
            }
        }
    }

    /// LR/LRR: `safety x` the utilisation predicted at the end of the longest
    /// migration, or `None` while the history is too short.
    pub fn predicted(&self, h: &HostLoad) -> Option<f64> {
        if h.history.len() < REGRESSION_LENGTH {
            return None;
        }
        // Oldest first, x = 1..=10.
        let mut y = [0.0; REGRESSION_LENGTH];
        for (yi, hi) in y
            .iter_mut()
            .zip(h.history[..REGRESSION_LENGTH].iter().rev())
        {
            *yi = *hi;
        }
        let (a, b) = if self.kind == OverloadDetector::Lrr {
            robust_loess_estimates(&y)
        } else {
            loess_estimates(&y)
        };
        let intervals = (h.max_migration_s / self.interval_s).ceil();
        Some((a + b * (REGRESSION_LENGTH as f64 + intervals)) * self.safety)
    }
}

/// A percentile as Apache Commons Math's `Percentile` computes it by default (the
/// "legacy" estimate CloudSim's `MathUtil.median` gets): position `p (n + 1) / 100` in
/// the sorted data, linear between neighbours, clamped to the ends.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let pos = p * (n as f64 + 1.0) / 100.0;
    if pos < 1.0 {
        return sorted[0];
    }
    if pos >= n as f64 {
        return sorted[n - 1];
    }
    let lower = sorted[pos.floor() as usize - 1];
    let upper = sorted[pos.floor() as usize];
    lower + (pos - pos.floor()) * (upper - lower)
}

/// The median (CloudSim `MathUtil.median`).
pub fn median(data: &[f64]) -> f64 {
    let mut s = data.to_vec();
    median_in_place(&mut s)
}

/// The median of `data` (reordered): the middle value, or the mean of the two middle
/// ones, which is what [`percentile`] at 50 gives; found by selection, not sorting.
fn median_in_place(data: &mut [f64]) -> f64 {
    let n = data.len();
    let (left, upper, _) = data.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        lower + 0.5 * (upper - lower)
    }
}

/// Median absolute deviation (CloudSim `MathUtil.mad`): the median of |x − median|.
pub fn mad(data: &[f64]) -> f64 {
    let mut s = data.to_vec();
    mad_in_place(&mut s)
}

/// MAD of `data`, which it reorders and overwrites.
fn mad_in_place(data: &mut [f64]) -> f64 {
    let m = median_in_place(data);
    data.iter_mut().for_each(|x| *x = (m - *x).abs());
    median_in_place(data)
}

/// Interquartile range as CloudSim's `MathUtil.iqr` computes it: in the sorted data,
/// Q1 is element `round(0.25 (n + 1))` and Q3 element `round(0.75 (n + 1))` (1-based,
/// rounding halves up).
pub fn iqr(data: &[f64]) -> f64 {
    let mut s = data.to_vec();
    iqr_in_place(&mut s)
}

/// IQR of `data`, which it reorders (by selection).
fn iqr_in_place(s: &mut [f64]) -> f64 {
    let n = s.len() as f64;
    let q1 = ((0.25 * (n + 1.0)) + 0.5).floor() as usize - 1;
    let q3 = (((0.75 * (n + 1.0)) + 0.5).floor() as usize - 1).min(s.len() - 1);
    let hi = *s.select_nth_unstable_by(q3, f64::total_cmp).1;
    let (_, lo, _) = s[..=q3].select_nth_unstable_by(q1, f64::total_cmp);
    hi - *lo
}

/// Ordinary least squares of `y` on `x` with an intercept: (intercept, slope); NaN when
/// `x` does not vary.
pub fn least_squares(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (xi, yi) in x.iter().zip(y) {
        sxy += (xi - mx) * (yi - my);
        sxx += (xi - mx) * (xi - mx);
    }
    let slope = sxy / sxx;
    (my - slope * mx, slope)
}

/// CloudSim's `createWeigthedLinearRegression`: the regression is re-weighted (each
/// point scaled by the square root of its weight) only when at least 40 % of the
/// weights are zero; otherwise it is plain least squares.
fn weighted_regression(x: &[f64], y: &[f64], w: &[f64]) -> (f64, f64) {
    let zeros = w.iter().filter(|wi| **wi <= 0.0).count();
    if (zeros as f64) < 0.4 * w.len() as f64 {
        return least_squares(x, y);
    }
    let xw: Vec<f64> = x.iter().zip(w).map(|(a, wi)| wi.sqrt() * a).collect();
    let yw: Vec<f64> = y.iter().zip(w).map(|(a, wi)| wi.sqrt() * a).collect();
    least_squares(&xw, &yw)
}

/// CloudSim's tricube weights for `n` points (`MathUtil.getTricubeWeigts`).
pub fn tricube_weights(n: usize) -> Vec<f64> {
    let top = n as f64 - 1.0;
    let mut w = vec![0.0; n];
    for (i, wi) in w.iter_mut().enumerate().skip(2) {
        let k = (1.0 - ((top - i as f64) / top).powi(3)).powi(3);
        *wi = if k > 0.0 { 1.0 / k } else { f64::MAX };
    }
    let w2 = w[2];
    w[0] = w2;
    w[1] = w2;
    w
}

/// Local regression of `y` (oldest first) on 1..=n: (intercept, slope), as CloudSim's
/// `getLoessParameterEstimates`. Its tricube weights are never zero (each is at least
/// 1), so CloudSim's weighting never applies and this is ordinary least squares.
pub fn loess_estimates(y: &[f64]) -> (f64, f64) {
    let mut x = [0.0; HISTORY_LENGTH];
    for (i, xi) in x.iter_mut().enumerate() {
        *xi = (i + 1) as f64;
    }
    least_squares(&x[..y.len()], y)
}

/// Robust local regression (`getRobustLoessParameterEstimates`): a second fit with
/// bisquare weights from the first fit's residuals, falling back to the first fit when
/// the second gives NaN.
pub fn robust_loess_estimates(y: &[f64]) -> (f64, f64) {
    let n = y.len();
    let x: Vec<f64> = (1..=n).map(|i| i as f64).collect();
    let tricube = tricube_weights(n);
    let (a, b) = weighted_regression(&x, y, &tricube);
    let residuals: Vec<f64> = x.iter().zip(y).map(|(xi, yi)| yi - (a + b * xi)).collect();
    let abs: Vec<f64> = residuals.iter().map(|r| r.abs()).collect();
    let s6 = median(&abs) * 6.0;
    let mut w = vec![0.0; n];
    for i in 2..n {
        let k = (1.0 - (residuals[i] / s6).powi(2)).powi(2);
        w[i] = if k > 0.0 { tricube[i] / k } else { f64::MAX };
    }
    let w2 = w[2];
    w[0] = w2;
    w[1] = w2;
    let (ra, rb) = weighted_regression(&x, y, &w);
    if ra.is_nan() || rb.is_nan() {
        (a, b)
    } else {
        (ra, rb)
    }
}

/// MC: for each VM (row of `histories`, most recent first), the R² of regressing its
/// history on all the others' (with an intercept), over the `m` most recent values they
/// all have; returns the index with the largest R², or `None` when it cannot be
/// computed: fewer than two VMs, no more values than VMs (the regressions need more
/// observations than parameters), or a singular system (a constant or collinear
/// history), where CloudSim falls back to MMT.
///
/// R² of VM i on the others is `1 − 1 / (C⁻¹)ᵢᵢ` with `C` the correlation matrix of all
/// the histories, one matrix inversion instead of n regressions.
pub fn max_correlation(histories: &[&[f32]]) -> Option<usize> {
    let r2 = r_squared(histories)?;
    let mut best = 0;
    let mut best_r2 = f64::MIN_POSITIVE;
    for (i, r) in r2.iter().enumerate() {
        if *r > best_r2 {
            best_r2 = *r;
            best = i;
        }
    }
    Some(best)
}

/// For each history, the R² of its regression on all the others (see
/// [`max_correlation`]), or `None` when that cannot be computed.
pub fn r_squared(histories: &[&[f32]]) -> Option<Vec<f64>> {
    let n = histories.len();
    let m = histories.iter().map(|h| h.len()).min().unwrap_or(0);
    if n < 2 || m <= n {
        return None;
    }
    // Centred rows and their norms.
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(n);
    for h in histories {
        let vals: Vec<f64> = h[..m].iter().map(|v| *v as f64).collect();
        let mean = vals.iter().sum::<f64>() / m as f64;
        let c: Vec<f64> = vals.iter().map(|v| v - mean).collect();
        let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= 1e-12 {
            return None;
        }
        rows.push(c.iter().map(|v| v / norm).collect());
    }
    let mut corr = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let r: f64 = rows[i].iter().zip(&rows[j]).map(|(a, b)| a * b).sum();
            corr[i * n + j] = r;
            corr[j * n + i] = r;
        }
    }
    let inv_diag = cholesky_inverse_diagonal(&corr, n)?;
    Some(inv_diag.iter().map(|d| 1.0 - 1.0 / d).collect())
}

/// The diagonal of the inverse of a symmetric positive definite `n x n` matrix, by
/// Cholesky factorisation; `None` when it is (numerically) singular.
fn cholesky_inverse_diagonal(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-10 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    // (A⁻¹)ᵢᵢ = ‖L⁻¹ eᵢ‖²... computed column by column of L⁻¹ (forward substitution).
    let mut diag = vec![0.0; n];
    let mut col = vec![0.0; n];
    for j in 0..n {
        col.iter_mut().for_each(|c| *c = 0.0);
        col[j] = 1.0 / l[j * n + j];
        for i in j + 1..n {
            let mut s = 0.0;
            for k in j..i {
                s -= l[i * n + k] * col[k];
            }
            col[i] = s / l[i * n + i];
        }
        // Column j of L⁻¹ contributes col[i]² to (L⁻ᵀ L⁻¹)ⱼⱼ... (A⁻¹ = L⁻ᵀ L⁻¹, so
        // (A⁻¹)ⱼⱼ = Σᵢ (L⁻¹)ᵢⱼ²).
        diag[j] = col.iter().map(|c| c * c).sum();
    }
    Some(diag)
}

/// Whether a host may take VMs in this pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostState {
    /// Powered on and in service.
    Awake,
    /// In standby or off: a candidate only for VMs leaving overloaded hosts (it wakes).
    Asleep,
    /// Changing power state, in maintenance, or draining: neither source nor target.
    Unavailable,
}

/// A host in a pass's snapshot.
#[derive(Clone, Copy, Debug)]
pub struct PlanHost<'a> {
    pub state: HostState,
    pub capacity_mhz: f64,
    pub core_mhz: f64,
    pub mem_capacity: u64,
    /// CPU and memory reserved on it now (admission).
    pub cpu_reserved_mhz: f64,
    pub mem_reserved: u64,
    /// CPU demand at the start of the pass, MHz, migration overheads included (ranks
    /// hosts by power and finds the underloaded ones).
    pub utilisation_mhz: f64,
    pub power: &'a PowerModel,
    /// Bytes per second a migration off this host gets (LR's migration time).
    pub migration_bandwidth: f64,
    /// Something on it can never move (a pod, a VM kept with others): never emptied.
    pub pinned: bool,
}

/// A VM in a pass's snapshot.
#[derive(Clone, Copy, Debug)]
pub struct PlanVm<'a> {
    pub host: usize,
    pub demand_mhz: f64,
    /// Its CPU size, MHz (weights its history in its host's).
    pub size_mhz: f64,
    pub vcpus: u32,
    /// Its memory size (MMT, migration time, the memory check).
    pub memory: u64,
    /// What it reserves on a host with cores of the given MHz (admission).
    pub reserve_cpu: crate::scenario::CpuAmount,
    pub reserve_mem: u64,
    /// May be selected and moved (a running VM, not migrating, no rule against it).
    pub movable: bool,
    /// Its utilisation history, most recent first (at most [`HISTORY_LENGTH`]).
    pub history: &'a [f32],
}

/// Settings of a pass.
#[derive(Clone, Copy, Debug)]
pub struct PlanParams {
    pub detector: Detector,
    pub selection: VmSelection,
    /// Check memory sizes on migrations.
    pub check_memory: bool,
}

/// What one pass decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// (VM, destination host), in the order to start them.
    pub migrations: Vec<(usize, usize)>,
    /// Hosts found overloaded.
    pub overloaded: Vec<usize>,
    /// Hosts to be emptied as underloaded.
    pub evacuated: Vec<usize>,
}

/// The pass's working state: where each VM is, and each host's sums.
struct State<'a, 'b> {
    hosts: &'b [PlanHost<'a>],
    vms: &'b [PlanVm<'a>],
    on_host: Vec<Vec<usize>>,
    requested: Vec<f64>,
    reserved_cpu: Vec<f64>,
    reserved_mem: Vec<u64>,
    memory: Vec<u64>,
    /// Per host, its history summed over its VMs, and per value how many VMs add
    /// something to it: where none does the sum is set to exactly 0, so the trimming of
    /// trailing zeros does not depend on rounding.
    history: Vec<[f64; HISTORY_LENGTH]>,
    nonzero: Vec<[u16; HISTORY_LENGTH]>,
    /// Each host's power at the start of the pass (PABFD's baseline).
    base_watts: Vec<f64>,
    params: PlanParams,
}

impl<'a, 'b> State<'a, 'b> {
    fn new(hosts: &'b [PlanHost<'a>], vms: &'b [PlanVm<'a>], params: PlanParams) -> Self {
        let n = hosts.len();
        let mut s = State {
            hosts,
            vms,
            on_host: vec![Vec::new(); n],
            requested: vec![0.0; n],
            reserved_cpu: hosts.iter().map(|h| h.cpu_reserved_mhz).collect(),
            reserved_mem: hosts.iter().map(|h| h.mem_reserved).collect(),
            memory: vec![0; n],
            history: vec![[0.0; HISTORY_LENGTH]; n],
            nonzero: vec![[0; HISTORY_LENGTH]; n],
            base_watts: hosts
                .iter()
                .map(|h| h.power.watts(h.utilisation_mhz / h.capacity_mhz))
                .collect(),
            params,
        };
        for (i, vm) in vms.iter().enumerate() {
            s.attach(i, vm.host, false);
        }
        s
    }

    /// What `vm` adds to `host`'s history: its values weighted by its size over the
    /// host's capacity (CloudSim `PowerHostUtilizationHistory`).
    fn weight(&self, vm: usize, host: usize) -> f64 {
        self.vms[vm].size_mhz / self.hosts[host].capacity_mhz
    }

    /// Puts `vm` on `host` (`admit`: count its reservation, for a VM arriving there).
    fn attach(&mut self, vm: usize, host: usize, admit: bool) {
        let v = &self.vms[vm];
        self.on_host[host].push(vm);
        self.requested[host] += v.demand_mhz;
        self.memory[host] += v.memory;
        if admit {
            self.reserved_cpu[host] += self.reserve_mhz(vm, host);
            self.reserved_mem[host] += v.reserve_mem;
        }
        let w = self.weight(vm, host);
        for (k, u) in v.history.iter().take(HISTORY_LENGTH).enumerate() {
            if *u != 0.0 {
                self.history[host][k] += *u as f64 * w;
                self.nonzero[host][k] += 1;
            }
        }
    }

    fn detach(&mut self, vm: usize, host: usize, admitted: bool) {
        let v = &self.vms[vm];
        if let Some(i) = self.on_host[host].iter().position(|x| *x == vm) {
            self.on_host[host].remove(i);
        }
        self.requested[host] -= v.demand_mhz;
        self.memory[host] -= v.memory;
        if admitted {
            self.reserved_cpu[host] -= self.reserve_mhz(vm, host);
            self.reserved_mem[host] -= v.reserve_mem;
        }
        let w = self.weight(vm, host);
        for (k, u) in v.history.iter().take(HISTORY_LENGTH).enumerate() {
            if *u != 0.0 {
                self.nonzero[host][k] -= 1;
                self.history[host][k] = if self.nonzero[host][k] == 0 {
                    0.0
                } else {
                    self.history[host][k] - *u as f64 * w
                };
            }
        }
    }

    fn reserve_mhz(&self, vm: usize, host: usize) -> f64 {
        match self.vms[vm].reserve_cpu {
            crate::scenario::CpuAmount::Mhz(m) => m as f64,
            crate::scenario::CpuAmount::Millicores(mc) => {
                (mc * self.hosts[host].core_mhz as u64).div_ceil(1000) as f64
            }
        }
    }

    /// The host's history as a detector reads it, into `out`: most recent first,
    /// trailing zeros trimmed, at least one value (CloudSim's `trimZeroTail`), with
    /// `extra` VM's contribution added. Returns its length.
    fn host_history(
        &self,
        host: usize,
        extra: Option<usize>,
        out: &mut [f64; HISTORY_LENGTH],
    ) -> usize {
        *out = self.history[host];
        let mut len = self.nonzero[host]
            .iter()
            .rposition(|c| *c != 0)
            .map_or(0, |i| i + 1);
        if let Some(vm) = extra {
            let w = self.weight(vm, host);
            for (k, u) in self.vms[vm].history.iter().take(HISTORY_LENGTH).enumerate() {
                if *u != 0.0 {
                    out[k] += *u as f64 * w;
                    len = len.max(k + 1);
                }
            }
        }
        len.max(1)
    }

    fn max_migration_s(&self, host: usize, extra: Option<usize>) -> f64 {
        let max_mem = self.on_host[host]
            .iter()
            .chain(extra.iter())
            .map(|v| self.vms[*v].memory)
            .max()
            .unwrap_or(0);
        max_mem as f64 / self.hosts[host].migration_bandwidth
    }

    /// The detector's verdict on `host`, with `extra` VM added to it.
    fn overloaded(&self, host: usize, extra: Option<usize>) -> bool {
        let d = &self.params.detector;
        let requested = self.requested[host] + extra.map_or(0.0, |v| self.vms[v].demand_mhz);
        let mut buf = [0.0; HISTORY_LENGTH];
        let len = if d.kind == OverloadDetector::Thr {
            1
        } else {
            self.host_history(host, extra, &mut buf)
        };
        let regression = matches!(d.kind, OverloadDetector::Lr | OverloadDetector::Lrr);
        let max_migration_s = if regression && len >= REGRESSION_LENGTH {
            self.max_migration_s(host, extra)
        } else {
            0.0
        };
        let (history, rest) = buf.split_at_mut(len);
        let load = HostLoad {
            requested_mhz: requested,
            capacity_mhz: self.hosts[host].capacity_mhz,
            history: &rest[..0],
            max_migration_s,
        };
        if regression {
            d.overloaded(&HostLoad { history, ..load })
        } else {
            d.overloaded_with(&load, history)
        }
    }

    /// The VM to move off an overloaded host next, if any may move.
    fn select(&self, host: usize, rng: &mut RngStream) -> Option<usize> {
        let movable: Vec<usize> = self.on_host[host]
            .iter()
            .copied()
            .filter(|v| self.vms[*v].movable)
            .collect();
        if movable.is_empty() {
            return None;
        }
        let mmt = || {
            // Least memory, the first on ties.
            movable
                .iter()
                .copied()
                .min_by_key(|v| self.vms[*v].memory)
                .expect("not empty")
        };
        Some(match self.params.selection {
            VmSelection::Mmt => mmt(),
            VmSelection::Rs => movable[rng.below(movable.len() as u64) as usize],
            VmSelection::Mc => {
                let hist: Vec<&[f32]> = movable.iter().map(|v| self.vms[*v].history).collect();
                match max_correlation(&hist) {
                    Some(i) => movable[i],
                    None => mmt(),
                }
            }
        })
    }

    /// PABFD's choice for `vm` among the hosts not `excluded`: the one whose power grows
    /// least, first on ties.
    fn best_host(
        &self,
        vm: usize,
        candidates: &[usize],
        excluded: &[bool],
        allowed: &dyn Fn(usize, usize) -> bool,
    ) -> Option<usize> {
        let v = &self.vms[vm];
        let mut best = None;
        let mut least = f64::MAX;
        for &h in candidates {
            let host = &self.hosts[h];
            if excluded[h] || h == v.host || host.state == HostState::Unavailable {
                continue;
            }
            // CloudSim's `isSuitableForVm`: a core can run one vCPU's demand and the host
            // has the CPU left; then admission and, if checked, memory.
            if v.demand_mhz / v.vcpus.max(1) as f64 > host.core_mhz
                || self.requested[h] + v.demand_mhz > host.capacity_mhz
                || self.reserved_cpu[h] + self.reserve_mhz(vm, h) > host.capacity_mhz
                || self.reserved_mem[h] + v.reserve_mem > host.mem_capacity
                || (self.params.check_memory && self.memory[h] + v.memory > host.mem_capacity)
                || !allowed(vm, h)
            {
                continue;
            }
            let after = ((host.utilisation_mhz + v.demand_mhz) / host.capacity_mhz).min(1.0);
            let growth = host.power.watts(after) - self.base_watts[h];
            // Only a host that would win is asked the (dearer) detector question: the
            // choice is the same as testing every host first.
            if growth >= least {
                continue;
            }
            if host.utilisation_mhz != 0.0 && self.overloaded(h, Some(vm)) {
                continue;
            }
            least = growth;
            best = Some(h);
        }
        best
    }
}

/// Sorts VMs by CPU demand, largest first, keeping the given order on ties.
fn by_demand_decreasing(vms: &[PlanVm], list: &mut [usize]) {
    list.sort_by(|a, b| vms[*b].demand_mhz.total_cmp(&vms[*a].demand_mhz));
}

/// The sleeping hosts that nothing has been sent to in this pass, by kind (capacity,
/// cores, memory, bandwidth and power model): such hosts of one kind are
/// interchangeable, so PABFD need only look at the first of each kind (any other would
/// tie with it and lose the tie). The rest of the hosts are always looked at.
struct Candidates {
    /// Hosts that are not untouched sleepers, in index order.
    others: Vec<usize>,
    /// Per kind, its untouched sleepers, highest index first (the next is popped).
    sleepers: Vec<Vec<usize>>,
    kind_of: Vec<usize>,
}

impl Candidates {
    fn new(hosts: &[PlanHost], dedupe: bool) -> Self {
        let mut kinds: Vec<&PlanHost> = Vec::new();
        let mut kind_of = vec![usize::MAX; hosts.len()];
        let (mut others, mut sleepers): (Vec<usize>, Vec<Vec<usize>>) = (Vec::new(), Vec::new());
        for (i, h) in hosts.iter().enumerate() {
            let sleeper = dedupe
                && h.state == HostState::Asleep
                && h.utilisation_mhz == 0.0
                && h.cpu_reserved_mhz == 0.0
                && h.mem_reserved == 0;
            if !sleeper {
                others.push(i);
                continue;
            }
            let same = |k: &&PlanHost| {
                k.capacity_mhz == h.capacity_mhz
                    && k.core_mhz == h.core_mhz
                    && k.mem_capacity == h.mem_capacity
                    && k.migration_bandwidth == h.migration_bandwidth
                    && k.power == h.power
            };
            let k = match kinds.iter().position(same) {
                Some(k) => k,
                None => {
                    kinds.push(h);
                    sleepers.push(Vec::new());
                    kinds.len() - 1
                }
            };
            kind_of[i] = k;
            sleepers[k].push(i);
        }
        sleepers.iter_mut().for_each(|s| s.reverse());
        Candidates {
            others,
            sleepers,
            kind_of,
        }
    }

    /// The hosts to look at, in index order.
    fn list(&self) -> Vec<usize> {
        let mut l = self.others.clone();
        l.extend(self.sleepers.iter().filter_map(|s| s.last().copied()));
        l.sort_unstable();
        l
    }

    /// `host` received a VM: it is no longer interchangeable.
    fn used(&mut self, host: usize) {
        let k = self.kind_of[host];
        if k != usize::MAX && self.sleepers[k].last() == Some(&host) {
            self.sleepers[k].pop();
            let at = self.others.partition_point(|h| *h < host);
            self.others.insert(at, host);
            self.kind_of[host] = usize::MAX;
        }
    }
}

/// One consolidation pass over a snapshot. `allowed(vm, host)` says whether the VM's
/// rules let it go to the host (`None`: no VM has rules); `rng` draws RS's choices.
pub fn plan(
    hosts: &[PlanHost],
    vms: &[PlanVm],
    params: PlanParams,
    allowed: Option<&dyn Fn(usize, usize) -> bool>,
    rng: &mut RngStream,
) -> Plan {
    let n = hosts.len();
    let mut st = State::new(hosts, vms, params);
    let mut out = Plan::default();
    let mut candidates = Candidates::new(hosts, allowed.is_none());
    let anywhere = |_: usize, _: usize| true;
    let allowed: &dyn Fn(usize, usize) -> bool = allowed.unwrap_or(&anywhere);

    // 1-2. Overloaded hosts, and the VMs that leave them.
    out.overloaded = (0..n)
        .filter(|&h| hosts[h].state == HostState::Awake && st.overloaded(h, None))
        .collect();
    let mut leaving = Vec::new();
    for &h in &out.overloaded {
        while let Some(vm) = st.select(h, rng) {
            st.detach(vm, h, false);
            leaving.push(vm);
            if !st.overloaded(h, None) {
                break;
            }
        }
    }
    // 3. Their new hosts (sleeping hosts included).
    let mut excluded = vec![false; n];
    for &h in &out.overloaded {
        excluded[h] = true;
    }
    by_demand_decreasing(vms, &mut leaving);
    let mut destinations = vec![false; n];
    for vm in leaving {
        match st.best_host(vm, &candidates.list(), &excluded, allowed) {
            Some(h) => {
                candidates.used(h);
                st.attach(vm, h, true);
                destinations[h] = true;
                out.migrations.push((vm, h));
            }
            // Nowhere to go: it stays (CloudSim restores the allocation).
            None => st.attach(vm, vms[vm].host, false),
        }
    }

    // 4. Underloaded hosts, least utilised first. Hosts idle at the start of the pass
    // (asleep or empty) neither give nor take VMs here.
    let idle = |h: usize| hosts[h].state != HostState::Awake || hosts[h].utilisation_mhz == 0.0;
    let mut tried: Vec<bool> = (0..n)
        .map(|h| excluded[h] || destinations[h] || idle(h))
        .collect();
    let mut place_excluded: Vec<bool> = (0..n).map(|h| excluded[h] || idle(h)).collect();
    let awake: Vec<usize> = (0..n).filter(|&h| !idle(h)).collect();
    loop {
        let candidate = awake
            .iter()
            .copied()
            .filter(|&h| !tried[h])
            .map(|h| (h, hosts[h].utilisation_mhz / hosts[h].capacity_mhz))
            .filter(|(_, u)| *u > 0.0 && *u < 1.0)
            .fold(None::<(usize, f64)>, |best, (h, u)| match best {
                Some((_, bu)) if bu <= u => best,
                _ => Some((h, u)),
            });
        let Some((host, _)) = candidate else { break };
        tried[host] = true;
        place_excluded[host] = true;
        if hosts[host].pinned {
            continue;
        }
        let mut moving: Vec<usize> = st.on_host[host]
            .iter()
            .copied()
            .filter(|v| vms[*v].movable)
            .collect();
        // A host with a VM that cannot move now (migrating) keeps it; CloudSim then
        // moves the others anyway, so does this.
        if moving.is_empty() {
            continue;
        }
        by_demand_decreasing(vms, &mut moving);
        let mut placed: Vec<(usize, usize)> = Vec::new();
        let mut all_placed = true;
        for &vm in &moving {
            match st.best_host(vm, &awake, &place_excluded, allowed) {
                Some(h) => {
                    st.detach(vm, host, false);
                    st.attach(vm, h, true);
                    placed.push((vm, h));
                }
                None => {
                    all_placed = false;
                    break;
                }
            }
        }
        if !all_placed {
            for &(vm, h) in placed.iter().rev() {
                st.detach(vm, h, true);
                st.attach(vm, host, false);
            }
            continue;
        }
        for &(_, h) in &placed {
            tried[h] = true;
        }
        out.evacuated.push(host);
        out.migrations.extend(placed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// IQR on 12 values 0.10..0.21 (sorted already): Q1 is element round(0.25 x 13) =
    /// round(3.25) = 3 -> 0.12, Q3 element round(9.75) = 10 -> 0.19; IQR = 0.07.
    /// With safety 1.5 the threshold is 1 − 1.5 x 0.07 = 0.895.
    #[test]
    fn iqr_threshold_by_hand() {
        let h: Vec<f64> = (10..22).map(|p| p as f64 / 100.0).collect();
        assert!(close(iqr(&h), 0.07));
        let d = Detector {
            kind: OverloadDetector::Iqr,
            safety: 1.5,
            fallback_threshold: 0.7,
            interval_s: 300.0,
        };
        let load = |req: f64| HostLoad {
            requested_mhz: req,
            capacity_mhz: 1000.0,
            history: &h,
            max_migration_s: 0.0,
        };
        assert!(!d.overloaded(&load(895.0)), "0.895 is not above 0.895");
        assert!(d.overloaded(&load(896.0)));
        // With 11 values the fallback threshold 0.7 applies.
        let short = &h[..11];
        let l = HostLoad {
            history: short,
            ..load(750.0)
        };
        assert!(d.overloaded(&l));
        let l = HostLoad {
            history: short,
            ..load(700.0)
        };
        assert!(!d.overloaded(&l));
    }

    /// MAD of [0.1, 0.2, 0.3, 0.4, 0.9, 0.5, 0.5, 0.5, 0.6, 0.6, 0.7, 0.8]: sorted, the
    /// median is (0.5 + 0.5) / 2 = 0.5; the deviations sorted are
    /// [0, 0, 0, 0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4], median (0.1 + 0.2) / 2 =
    /// 0.15. Safety 2.5: threshold 1 − 0.375 = 0.625.
    #[test]
    fn mad_threshold_by_hand() {
        let h = [0.1, 0.2, 0.3, 0.4, 0.9, 0.5, 0.5, 0.5, 0.6, 0.6, 0.7, 0.8];
        assert!(close(median(&h), 0.5));
        assert!((mad(&h) - 0.15).abs() < 1e-9);
        let d = Detector {
            kind: OverloadDetector::Mad,
            safety: 2.5,
            fallback_threshold: 0.7,
            interval_s: 300.0,
        };
        let load = |req: f64| HostLoad {
            requested_mhz: req,
            capacity_mhz: 1000.0,
            history: &h,
            max_migration_s: 0.0,
        };
        assert!(!d.overloaded(&load(620.0)));
        assert!(d.overloaded(&load(630.0)));
    }

    /// The history, most recent first, 0.50 0.48 ... 0.32 (10 values rising by 0.02 per
    /// interval in time order): oldest first y = 0.32 + 0.02 (x − 1), an exact line, so
    /// the fit is intercept 0.30, slope 0.02. A 1740 MB VM at 62.5 MB/s migrates in
    /// 27.84 s: ceil(27.84 / 300) = 1 interval ahead, so the prediction at x = 11 is
    /// 0.30 + 0.02 x 11 = 0.52, times safety 1.2 = 0.624: not overloaded. With a safety
    /// of 2.0 it is 1.04: overloaded.
    #[test]
    fn local_regression_predicts_by_hand() {
        let h: Vec<f64> = (0..10).map(|i| 0.50 - 0.02 * i as f64).collect();
        let y: Vec<f64> = h.iter().rev().copied().collect();
        let (a, b) = loess_estimates(&y);
        assert!(
            (a - 0.30).abs() < 1e-12 && (b - 0.02).abs() < 1e-12,
            "{a} {b}"
        );
        let (ra, rb) = robust_loess_estimates(&y);
        assert!((ra - 0.30).abs() < 1e-12 && (rb - 0.02).abs() < 1e-12);
        let mut d = Detector {
            kind: OverloadDetector::Lr,
            safety: 1.2,
            fallback_threshold: 0.7,
            interval_s: 300.0,
        };
        let load = HostLoad {
            requested_mhz: 500.0,
            capacity_mhz: 1000.0,
            history: &h,
            max_migration_s: 1740.0 / 62.5,
        };
        assert!((d.predicted(&load).unwrap() - 0.624).abs() < 1e-12);
        assert!(!d.overloaded(&load));
        d.safety = 2.0;
        assert!(d.overloaded(&load));
        // Nine values: the fallback (0.5 is not above 0.7).
        let short = HostLoad {
            history: &h[..9],
            ..load
        };
        assert_eq!(d.predicted(&short), None);
        assert!(!d.overloaded(&short));
    }

    /// Least squares on a noisy set by hand: x = 1..4, y = 1, 3, 2, 4: mean x 2.5, mean
    /// y 2.5, Sxy = (−1.5)(−1.5) + (−0.5)(0.5) + (0.5)(−0.5) + (1.5)(1.5) = 4,
    /// Sxx = 5: slope 0.8, intercept 2.5 − 2 = 0.5.
    #[test]
    fn least_squares_by_hand() {
        let (a, b) = least_squares(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!(close(a, 0.5) && close(b, 0.8));
    }

    #[test]
    fn the_robust_fit_differs_from_plain_least_squares_only_when_weights_vanish() {
        // An outlier: CloudSim's weighting does not apply (no zero weight), so LRR
        // equals LR, as in CloudSim.
        let y = [0.3, 0.31, 0.32, 0.33, 0.9, 0.35, 0.36, 0.37, 0.38, 0.39];
        assert_eq!(robust_loess_estimates(&y), loess_estimates(&y));
        assert!(tricube_weights(10).iter().all(|w| *w >= 1.0));
    }

    #[test]
    fn thr_is_a_strict_threshold() {
        let d = Detector {
            kind: OverloadDetector::Thr,
            safety: 0.8,
            fallback_threshold: 0.7,
            interval_s: 300.0,
        };
        let load = |req: f64| HostLoad {
            requested_mhz: req,
            capacity_mhz: 1000.0,
            history: &[0.0],
            max_migration_s: 0.0,
        };
        assert!(!d.overloaded(&load(800.0)));
        assert!(d.overloaded(&load(801.0)));
    }

    /// Centred, a = 0.1 x [1, −1, 1, −1, 0, 0], b = 0.1 x [1, −1, 0.5, −0.5, 0.5, −0.5],
    /// c = 0.1 x [1, 1, −1, −1, 0, 0] (each plus 0.5): c is orthogonal to a and b, and
    /// a.b / (|a| |b|) = 3 / sqrt(4 x 3) = 0.866, so r² = 0.75. The correlation matrix is
    /// block-diagonal: R² of a on (b, c) and of b on (a, c) is 0.75, of c on (a, b) 0.
    #[test]
    fn r_squared_by_hand() {
        let a = [0.6f32, 0.4, 0.6, 0.4, 0.5, 0.5];
        let b = [0.6f32, 0.4, 0.55, 0.45, 0.55, 0.45];
        let c = [0.6f32, 0.6, 0.4, 0.4, 0.5, 0.5];
        let r2 = r_squared(&[&c, &a, &b]).unwrap();
        assert!(r2[0].abs() < 1e-5, "{r2:?}");
        assert!(
            (r2[1] - 0.75).abs() < 1e-5 && (r2[2] - 0.75).abs() < 1e-5,
            "{r2:?}"
        );
        assert_ne!(
            max_correlation(&[&c, &a, &b]),
            Some(0),
            "never the unrelated VM"
        );
        // Two VMs: each explains the other equally (r² = 0.75): the first.
        assert_eq!(max_correlation(&[&a, &b]), Some(0));
    }

    #[test]
    fn max_correlation_gives_way_to_mmt_when_it_cannot_be_computed() {
        let a = [0.1f32, 0.3, 0.2, 0.5, 0.4, 0.6];
        let b: Vec<f32> = a.iter().map(|x| 2.0 * x + 0.1).collect();
        let c = [0.5f32, 0.1, 0.4, 0.2, 0.6, 0.3];
        // Exactly collinear: singular.
        assert_eq!(max_correlation(&[&a, &b, &c]), None);
        // Three VMs need more than three values.
        assert_eq!(max_correlation(&[&a[..3], &b, &c]), None);
        // A constant history cannot be correlated.
        assert_eq!(max_correlation(&[&[0.2f32; 6], &a, &c]), None);
        // One VM: nothing to regress on.
        assert_eq!(max_correlation(&[&a]), None);
    }

    #[test]
    fn selection_by_median_matches_the_sorted_definition() {
        for n in 1..=30 {
            let data: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64 / 10.0).collect();
            let mut sorted = data.clone();
            sorted.sort_by(f64::total_cmp);
            assert_eq!(median(&data), percentile(&sorted, 50.0), "n = {n}");
            let q1 = ((0.25 * (n as f64 + 1.0)) + 0.5).floor() as usize - 1;
            let q3 = (((0.75 * (n as f64 + 1.0)) + 0.5).floor() as usize - 1).min(n - 1);
            assert_eq!(iqr(&data), sorted[q3] - sorted[q1], "n = {n}");
        }
    }

    mod properties {
        use super::super::*;
        use crate::engine::StreamFactory;
        use crate::scenario::{CpuAmount, OverloadDetector, PowerModel, VmSelection};
        use proptest::prelude::*;

        const G4: [f64; 11] = [
            86.0, 89.4, 92.6, 96.0, 99.5, 102.0, 106.0, 108.0, 112.0, 114.0, 117.0,
        ];
        const G5: [f64; 11] = [
            93.7, 97.0, 101.0, 105.0, 110.0, 116.0, 121.0, 125.0, 129.0, 133.0, 135.0,
        ];

        proptest! {
            /// Whatever the hosts, VMs, histories and policies: a VM moves at most once,
            /// only if it may, never to its own host or an unavailable one, underload
            /// moves go to awake hosts, no destination ends above its CPU, and an emptied
            /// host loses every VM that may move.
            #[test]
            fn plans_keep_the_rules(
                host_specs in proptest::collection::vec((0u8..10, any::<bool>()), 2..12),
                vm_specs in proptest::collection::vec(
                    (0usize..12, 0.0f64..1.0, 0usize..4, any::<bool>(),
                     proptest::collection::vec(0.0f32..1.0, 0..30)),
                    0..40),
                detector in 0usize..5,
                selection in 0usize..3,
                seed in 0u64..1000,
            ) {
                let g4 = PowerModel::Table(G4);
                let g5 = PowerModel::Table(G5);
                let sizes = [2500.0, 2000.0, 1000.0, 500.0];
                let mems = [870u64, 1740, 1740, 613];
                let n = host_specs.len();
                let state = |k: u8| match k { 0 => HostState::Unavailable, 1 | 2 => HostState::Asleep, _ => HostState::Awake };
                let mut vms: Vec<PlanVm> = Vec::new();
                let mut load = vec![0.0; n];
                for (h, d, t, movable, hist) in &vm_specs {
                    let host = h % n;
                    if state(host_specs[host].0) == HostState::Asleep {
                        continue;
                    }
                    let demand = (d * sizes[*t]).round();
                    load[host] += demand;
                    vms.push(PlanVm {
                        host,
                        demand_mhz: demand,
                        size_mhz: sizes[*t],
                        vcpus: 1,
                        memory: mems[*t] * 1_000_000,
                        reserve_cpu: CpuAmount::Mhz(0),
                        reserve_mem: 0,
                        movable: *movable,
                        history: hist,
                    });
                }
                let hosts: Vec<PlanHost> = host_specs
                    .iter()
                    .enumerate()
                    .map(|(i, (k, g5host))| PlanHost {
                        state: state(*k),
                        capacity_mhz: if *g5host { 5320.0 } else { 3720.0 },
                        core_mhz: if *g5host { 2660.0 } else { 1860.0 },
                        mem_capacity: 4_096_000_000,
                        cpu_reserved_mhz: 0.0,
                        mem_reserved: 0,
                        utilisation_mhz: load[i],
                        power: if *g5host { &g5 } else { &g4 },
                        migration_bandwidth: 62.5e6,
                        pinned: false,
                    })
                    .collect();
                let kinds = [OverloadDetector::Thr, OverloadDetector::Iqr, OverloadDetector::Mad, OverloadDetector::Lr, OverloadDetector::Lrr];
                let safety = [0.8, 1.5, 2.5, 1.2, 1.2];
                let params = PlanParams {
                    detector: Detector { kind: kinds[detector], safety: safety[detector], fallback_threshold: 0.7, interval_s: 300.0 },
                    selection: [VmSelection::Mmt, VmSelection::Rs, VmSelection::Mc][selection],
                    check_memory: false,
                };
                let mut rng = StreamFactory::new(seed, 0).stream("p");
                let plan = plan(&hosts, &vms, params, None, &mut rng);
                let mut at: Vec<usize> = vms.iter().map(|v| v.host).collect();
                let mut moved = vec![false; vms.len()];
                for &(vm, dst) in &plan.migrations {
                    prop_assert!(!moved[vm], "VM {} moves twice", vm);
                    moved[vm] = true;
                    prop_assert!(vms[vm].movable);
                    prop_assert_ne!(dst, vms[vm].host);
                    prop_assert_ne!(hosts[dst].state, HostState::Unavailable);
                    at[vm] = dst;
                }
                for (h, host) in hosts.iter().enumerate() {
                    let received = plan.migrations.iter().any(|(_, d)| *d == h);
                    if received {
                        let total: f64 = (0..vms.len()).filter(|v| at[*v] == h).map(|v| vms[v].demand_mhz).sum();
                        prop_assert!(total <= host.capacity_mhz + 1e-9, "host {} at {} of {}", h, total, host.capacity_mhz);
                    }
                }
                for &h in &plan.evacuated {
                    prop_assert_eq!(hosts[h].state, HostState::Awake);
                    for (v, vm) in vms.iter().enumerate() {
                        if vm.host == h && vm.movable {
                            prop_assert!(moved[v] && hosts[at[v]].state == HostState::Awake);
                        }
                    }
                }
            }
        }
    }
}
