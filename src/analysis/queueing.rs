//! M/M/c queueing: Erlang B and C by the stable recursion, waits and their percentiles; M/G/c
//! by the Allen–Cunneen approximation when the durations' spread is known.
//!
//! The recursion B(k) = A·B(k−1) / (k + A·B(k−1)) never forms A^c or c!, so it stays exact to
//! floating-point precision for thousands of servers and for load just under capacity. Past a
//! thousand servers, Erlang B is the Poisson ratio P(N = c) ÷ P(N ≤ c), whose cost grows with
//! the load's square root instead of the servers.

/// Up to this many servers Erlang B is the recursion, exact to the last bits.
const RECURSION_UP_TO: u64 = 1_000;

/// Erlang B: the probability that all `servers` are busy in a loss system offered `load`
/// Erlangs.
pub fn erlang_b(servers: u64, load: f64) -> f64 {
    // Past a thousand servers the recursion's cost (one step a server) is what a keystroke in
    // the planner waits for; Erlang B is then P(N = c) ÷ P(N ≤ c) for N ~ Poisson(load),
    // whose sums take a few thousand terms at a million servers (about 1e-13 relative).
    if servers > RECURSION_UP_TO && load > 0.0 {
        let c = servers as f64;
        if c >= load {
            return super::poisson::probability(servers, load) / super::poisson::at_most(servers, load);
        }
        // Past capacity P(N = c) can underflow where the ratio does not: 1 ÷ B is the sum of
        // c! ÷ ((c − i)!·loadⁱ) over i, whose terms fall from 1.
        let (mut sum, mut term) = (1.0, 1.0);
        for i in 0..servers {
            term *= (c - i as f64) / load;
            if term < sum * 1e-17 {
                break;
            }
            sum += term;
        }
        return 1.0 / sum;
    }
    let mut blocking = 1.0;
    for k in 1..=servers {
        let a_b = load * blocking;
        blocking = a_b / (k as f64 + a_b);
        // Blocking only falls as servers grow: once below f64's range, the answer is 0.
        if blocking < f64::MIN_POSITIVE {
            return 0.0;
        }
    }
    blocking
}

/// Erlang C: the probability that an arrival waits, for `servers` ≥ 1 and `load` < servers;
/// 1 when the system is unstable (load ≥ servers) or has no servers.
pub fn erlang_c(servers: u64, load: f64) -> f64 {
    let c = servers as f64;
    if servers == 0 || load >= c {
        return 1.0;
    }
    if load <= 0.0 {
        return 0.0;
    }
    let b = erlang_b(servers, load);
    c * b / (c - load * (1.0 - b))
}

/// One pooled queue: `servers` slots offered `load` Erlangs of work whose mean duration is
/// `duration` seconds and whose squared coefficient of variation is `duration_cv2`. At 1
/// (exponential durations) it is M/M/c exactly; otherwise M/G/c by the Allen–Cunneen
/// approximation: the M/M/c wait scaled by (1 + cv²) / 2 (Poisson arrivals: ca² = 1), the
/// share that waits left as Erlang C.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mgc {
    pub servers: u64,
    pub load: f64,
    pub duration: f64,
    pub duration_cv2: f64,
}

impl Mgc {
    /// Allen–Cunneen's factor on the M/M/c wait.
    fn spread_factor(&self) -> f64 {
        (1.0 + self.duration_cv2) / 2.0
    }

    pub fn is_stable(&self) -> bool {
        self.load < self.servers as f64
    }

    pub fn wait_probability(&self) -> f64 {
        erlang_c(self.servers, self.load)
    }

    /// Mean wait in the queue, seconds: C · D / (c − A), times the spread factor. Infinite when
    /// unstable.
    pub fn mean_wait(&self) -> f64 {
        if !self.is_stable() {
            return f64::INFINITY;
        }
        self.wait_probability() * self.duration * self.spread_factor() / (self.servers as f64 - self.load)
    }

    /// The wait that a share `percentile` (0.95) of arrivals do not exceed, seconds:
    /// P(W > t) = C · exp(−(c − A) · t / (D · f)) solved for t (f the spread factor: a waiting
    /// arrival's wait stays exponential, with the approximation's mean); 0 when fewer than
    /// 1 − p wait at all.
    pub fn wait_percentile(&self, percentile: f64) -> f64 {
        if !self.is_stable() {
            return f64::INFINITY;
        }
        let waiting = self.wait_probability();
        let tail = 1.0 - percentile;
        if waiting <= tail {
            return 0.0;
        }
        self.duration * self.spread_factor() / (self.servers as f64 - self.load) * (waiting / tail).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_by_hand() {
        // A = 10 Erlangs on 12 servers: 0.4494 (the hand-computed figure).
        assert!((erlang_c(12, 10.0) - 0.4494).abs() < 1e-4, "{}", erlang_c(12, 10.0));
        // One server: C = ρ.
        assert!((erlang_c(1, 0.5) - 0.5).abs() < 1e-12);
        // Two servers, A = 1: C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn stays_finite_for_thousands_of_servers_near_capacity() {
        let c = erlang_c(10_000, 9_990.0);
        assert!(c.is_finite() && c > 0.0 && c < 1.0, "{c}");
        assert_eq!(erlang_c(10, 10.0), 1.0);
        // Past capacity too: the formula would give C outside [0, 1] there.
        assert_eq!(erlang_c(10, 12.0), 1.0);
        assert_eq!(erlang_c(0, 1.0), 1.0);
        assert_eq!(erlang_c(5, 0.0), 0.0);
    }

    /// Past a thousand servers, the Poisson ratio gives the recursion's value (run here in
    /// full as the reference) to 1e-11 relative, below capacity, at it and past it.
    #[test]
    fn the_poisson_ratio_is_the_recursion_past_a_thousand_servers() {
        let recursion = |servers: u64, load: f64| {
            let mut blocking = 1.0;
            for k in 1..=servers {
                blocking = load * blocking / (k as f64 + load * blocking);
            }
            blocking
        };
        for servers in [1_001u64, 4_096, 100_000, 1_000_000] {
            for share in [0.5, 0.9, 0.999, 1.0, 1.2] {
                let load = servers as f64 * share;
                // Far below capacity both underflow to 0 (the recursion by way of subnormals).
                let close = |ours: f64, reference: f64| {
                    if reference < f64::MIN_POSITIVE {
                        ours < f64::MIN_POSITIVE
                    } else {
                        ((ours - reference) / reference).abs() < 1e-11
                    }
                };
                let (ours, reference) = (erlang_b(servers, load), recursion(servers, load));
                assert!(close(ours, reference), "c {servers}, A {load}: {ours} vs {reference}");
                let c = servers as f64;
                if load < c {
                    let expected = c * reference / (c - load * (1.0 - reference));
                    assert!(close(erlang_c(servers, load), expected), "c {servers}, A {load}");
                }
            }
        }
        // At the threshold the recursion still runs; just past it, the ratio.
        assert_eq!(erlang_b(1_000, 900.0), recursion(1_000, 900.0));
    }

    #[test]
    fn waits_by_hand() {
        // c = 2, A = 1, D = 1 s: Wq = (1/3) · 1 / (2 − 1) = 1/3 s.
        let q = Mgc { servers: 2, load: 1.0, duration: 1.0, duration_cv2: 1.0 };
        assert!((q.mean_wait() - 1.0 / 3.0).abs() < 1e-12);
        // p95: t = 1/(2−1) · ln((1/3)/0.05) = ln(6.667) = 1.8971 s.
        assert!((q.wait_percentile(0.95) - (1.0f64 / 3.0 / 0.05).ln()).abs() < 1e-12);
        // Only a third wait: the median arrival does not.
        assert_eq!(q.wait_percentile(0.5), 0.0);
        // Deterministic durations (cv² = 0) halve the wait; cv² = 3 doubles it (Allen–Cunneen).
        let fixed = Mgc { duration_cv2: 0.0, ..q };
        assert!((fixed.mean_wait() - 1.0 / 6.0).abs() < 1e-12);
        assert!((fixed.wait_percentile(0.95) - 0.5 * (1.0f64 / 3.0 / 0.05).ln()).abs() < 1e-12);
        assert!((Mgc { duration_cv2: 3.0, ..q }.mean_wait() - 2.0 / 3.0).abs() < 1e-12);
        assert!(Mgc { servers: 2, load: 2.0, duration: 1.0, duration_cv2: 1.0 }.mean_wait().is_infinite());
        // Past capacity the waits grow without bound: never a negative wait from c − A < 0.
        let over = Mgc { servers: 2, load: 3.0, duration: 1.0, duration_cv2: 1.0 };
        assert!(!over.is_stable());
        assert_eq!((over.mean_wait(), over.wait_percentile(0.95)), (f64::INFINITY, f64::INFINITY));
    }

    #[test]
    fn erlang_b_below_the_smallest_normal_float_is_zero() {
        // A = 1: B(c) = (1/c!) / Σ 1/k! ≈ 1/(e · c!). 1/(e · 170!) = 5.0690e-308 (mpmath) is still a
        // normal float; at 171 servers it is 2.96e-310, below f64::MIN_POSITIVE: 0 exactly,
        // not a subnormal.
        let at_170 = erlang_b(170, 1.0);
        assert!((at_170 / 5.069_014_380_208e-308 - 1.0).abs() < 1e-9, "{at_170:e}");
        assert_eq!(erlang_b(171, 1.0), 0.0);
        assert_eq!(erlang_b(10_000, 1.0), 0.0);
    }
}
