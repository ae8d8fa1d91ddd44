//! Seeded random streams.
//!
//! Every random draw in a run comes from a ChaCha8 stream identified by
//! `(scenario seed, sweep point index, stream name)`. The seed and point index pick the
//! ChaCha key; the name picks ChaCha's 64-bit stream number. Streams are therefore
//! independent of each other and of the order in which components create them: adding a
//! new component (a new stream name) leaves every existing stream's draws unchanged.
//!
//! The name is hashed with FNV-1a (64 bit), which is fixed forever, unlike `std`'s
//! `DefaultHasher`. Distribution sampling is done here by inverse transform and
//! Box–Muller rather than by `rand_distr`, so the numbers cannot change with a dependency
//! upgrade.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Creates the streams of one run.
#[derive(Clone, Debug)]
pub struct StreamFactory {
    key: [u8; 32],
}

/// One named random stream.
#[derive(Clone, Debug)]
pub struct RngStream {
    rng: ChaCha8Rng,
}

/// FNV-1a, 64 bit: a stable hash for stream names.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 step, used to spread (seed, point) over the 256-bit ChaCha key.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl StreamFactory {
    /// `seed` is the scenario's seed; `point` the sweep point index (0 for a single run).
    pub fn new(seed: u64, point: u64) -> Self {
        let mut state = seed ^ point.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        StreamFactory { key }
    }

    /// The stream with this name. Asking twice gives two identical streams.
    pub fn stream(&self, name: &str) -> RngStream {
        let mut rng = ChaCha8Rng::from_seed(self.key);
        rng.set_stream(fnv1a64(name.as_bytes()));
        RngStream { rng }
    }
}

impl RngStream {
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// Uniform integer in [0, n) without modulo bias (Lemire's method). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Exponential with the given mean (inverse transform).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform_open0().ln()
    }

    /// Standard normal (Box–Muller; one of the pair is discarded to keep the stream
    /// position a simple function of the number of draws).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Lognormal with parameters of the underlying normal.
    pub fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        (mu + sigma * self.standard_normal()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(f: &StreamFactory, name: &str, n: usize) -> Vec<u64> {
        let mut s = f.stream(name);
        (0..n).map(|_| s.next_u64()).collect()
    }

    #[test]
    fn same_seed_and_name_give_the_same_draws() {
        let a = StreamFactory::new(42, 0);
        let b = StreamFactory::new(42, 0);
        assert_eq!(draws(&a, "arrivals/web", 5), draws(&b, "arrivals/web", 5));
    }

    #[test]
    fn adding_a_stream_leaves_the_others_unchanged() {
        let f = StreamFactory::new(7, 0);
        let before = draws(&f, "arrivals/web", 100);
        // A new component starts drawing from its own stream in between.
        let mut other = f.stream("lifetime/new-component");
        for _ in 0..1000 {
            other.next_u64();
        }
        let after = draws(&f, "arrivals/web", 100);
        assert_eq!(before, after);
    }

    #[test]
    fn different_names_points_and_seeds_give_different_streams() {
        let f = StreamFactory::new(7, 0);
        assert_ne!(draws(&f, "a", 4), draws(&f, "b", 4));
        assert_ne!(draws(&f, "a", 4), draws(&StreamFactory::new(7, 1), "a", 4));
        assert_ne!(draws(&f, "a", 4), draws(&StreamFactory::new(8, 0), "a", 4));
    }

    #[test]
    fn fnv_matches_the_published_test_vector() {
        // FNV-1a 64 of "a" from the reference test suite.
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn exponential_mean_is_close_to_requested() {
        let mut s = StreamFactory::new(1, 0).stream("exp");
        let n = 200_000;
        let mean = (0..n).map(|_| s.exponential(600.0)).sum::<f64>() / n as f64;
        assert!((mean - 600.0).abs() < 6.0, "mean {mean}");
    }

    #[test]
    fn below_is_in_range_and_covers_it() {
        let mut s = StreamFactory::new(3, 0).stream("b");
        let mut seen = [0u32; 5];
        for _ in 0..5000 {
            seen[s.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
