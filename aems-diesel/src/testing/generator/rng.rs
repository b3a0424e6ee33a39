//! The random numbers: SplitMix64, one stream per tenant and table.

/// SplitMix64 (Steele, Lea & Flood, 2014): a 64-bit state, one add and a
/// mix per number; small, fast and good enough for test data (it passes
/// BigCrush). Streams are derived by mixing the seed with a path.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream of `seed` named by `path` (tenant, table, row, ...).
    pub(super) fn stream(seed: u64, path: &[u64]) -> Self {
        let mut state = mix(seed.wrapping_add(GOLDEN_GAMMA));
        for step in path {
            state = mix(state ^ mix(step.wrapping_add(GOLDEN_GAMMA)));
        }
        Rng(state)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix(self.0)
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias (Lemire).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `lo..=hi` (`lo <= hi`).
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = hi.wrapping_sub(lo) as u64;
        if span == u64::MAX {
            return self.next_u64() as i64;
        }
        lo.wrapping_add(self.below(span + 1) as i64)
    }

    /// True `percent` times out of 100.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(super) fn pick<'s, T>(&mut self, items: &'s [T]) -> &'s T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One of `items`, each as likely as its weight.
    pub(super) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < u64::from(*weight) {
                return *item;
            }
            roll -= u64::from(*weight);
        }
        items[items.len() - 1].0
    }

    /// Fisher–Yates.
    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_stream_gives_the_same_numbers_every_time_and_streams_differ() {
        let a: Vec<u64> = {
            let mut r = Rng::stream(42, &[0, 1]);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = Rng::stream(42, &[0, 1]);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut r = Rng::stream(42, &[0, 2]);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let d: Vec<u64> = {
            let mut r = Rng::stream(43, &[0, 1]);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // The reference implementation seeded with 1234567 (state = seed).
        let mut r = Rng(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn ranges_stay_inside_their_bounds_and_reach_both_ends() {
        let mut r = Rng::stream(7, &[]);
        let mut seen = BTreeSet::new();
        for _ in 0..2_000 {
            let v = r.range(-3, 3);
            assert!((-3..=3).contains(&v));
            seen.insert(v);
        }
        assert_eq!(seen.len(), 7);
        assert_eq!(r.range(5, 5), 5);
    }

    #[test]
    fn weights_are_respected_roughly() {
        let mut r = Rng::stream(9, &[]);
        let hits = (0..10_000)
            .filter(|_| r.weighted(&[(true, 1), (false, 3)]))
            .count();
        assert!((2_200..2_800).contains(&hits), "{hits}");
        assert!((0..100).all(|_| !r.weighted(&[(true, 0), (false, 1)])));
    }
}
