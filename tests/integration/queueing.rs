//! The queueing model against a seeded discrete-event simulation, and its properties.

use flowcap::analysis::queueing::{Mmc, erlang_c};
use flowcap::model::plan::{Dispatch, Workload};
use flowcap::model::units::Seconds;
use proptest::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// SplitMix64: a tiny, well-known generator, enough for exponential variates.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // (0, 1]: never 0, so ln is finite.
        ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -self.next_f64().ln() * mean
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next_f64() * n as f64) as usize).min(n - 1)
    }
}

/// Time as ordered bits: non-negative f64s order like their bit patterns.
fn key(t: f64) -> Reverse<u64> {
    Reverse(t.to_bits())
}

/// Mean wait of `arrivals` executions on `replicas` groups of `slots` FCFS servers. Pooled:
/// one group; round-robin: each arrival joins a uniformly random group (DNS spreads clients).
fn simulate(replicas: usize, slots: usize, load: f64, duration: f64, arrivals: usize, seed: u64) -> f64 {
    let mut rng = Rng(seed);
    let mut groups: Vec<BinaryHeap<Reverse<u64>>> =
        (0..replicas).map(|_| (0..slots).map(|_| key(0.0)).collect()).collect();
    let rate = load / duration;
    let warmup = arrivals / 10;
    let (mut now, mut total_wait) = (0.0, 0.0);
    for n in 0..arrivals + warmup {
        now += rng.exponential(1.0 / rate);
        let group = &mut groups[if replicas == 1 { 0 } else { rng.below(replicas) }];
        let Reverse(free_bits) = group.pop().unwrap();
        let start = f64::from_bits(free_bits).max(now);
        group.push(key(start + rng.exponential(duration)));
        if n >= warmup {
            total_wait += start - now;
        }
    }
    total_wait / arrivals as f64
}

fn workload(load: f64, duration: f64, dispatch: Dispatch) -> Workload {
    Workload { arrivals_per_minute: load / duration * 60.0, mean_duration: Seconds(duration), dispatch, target: None }
}

/// The analytic mean wait against the simulation's at utilisation 0.5, 0.7 and 0.9 of 10
/// slots arranged as `replicas` × `slots`.
fn assert_matches_simulation(dispatch: Dispatch, replicas: u32, slots: u32, seeds: [u64; 3]) {
    for (utilisation, seed) in [0.5, 0.7, 0.9].into_iter().zip(seeds) {
        let load = 10.0 * utilisation;
        let analytic = workload(load, 2.0, dispatch).waits(replicas, slots).mean_wait_seconds.unwrap();
        let simulated = simulate(replicas as usize, slots as usize, load, 2.0, 1_500_000, seed);
        let error = (simulated - analytic).abs() / analytic;
        assert!(
            error < 0.05,
            "{dispatch:?} ρ {utilisation}: analytic {analytic:.4} s, simulated {simulated:.4} s ({:.1} %)",
            error * 100.0
        );
    }
}

#[test]
fn pooled_queue_matches_simulation() {
    assert_matches_simulation(Dispatch::Queue, 1, 10, [1, 2, 3]);
}

#[test]
fn round_robin_matches_simulation() {
    // 2 runtimes × 5 slots, arrivals split between them.
    assert_matches_simulation(Dispatch::RoundRobin, 2, 5, [4, 5, 6]);
}

#[test]
fn figures_by_hand() {
    // 120/min × 30 s = 60 Erlangs.
    let w =
        Workload { arrivals_per_minute: 120.0, mean_duration: Seconds(30.0), dispatch: Dispatch::Queue, target: None };
    assert_eq!(w.offered_load(), 60.0);
    let on_40 = w.waits(4, 10);
    assert!(!on_40.stable);
    assert_eq!(on_40.utilisation, 1.5);
    assert_eq!(on_40.mean_wait_seconds, None);
    // A = 10 on 12 slots, D = 1 s: C = 0.4494, Wq = C / 2 = 0.2247 s.
    let w = workload(10.0, 1.0, Dispatch::Queue);
    let waits = w.waits(3, 4);
    assert!((waits.wait_probability.unwrap() - 0.4494).abs() < 1e-4);
    assert!((waits.mean_wait_seconds.unwrap() - 0.2247).abs() < 1e-4);
    // p95: ln(0.4494 / 0.05) / 2 = 1.098 s.
    assert!((waits.p95_wait_seconds.unwrap() - (0.449_4f64 / 0.05).ln() / 2.0).abs() < 1e-3);
}

#[test]
fn round_robin_figures_report_the_cost_against_pooling() {
    let w = workload(8.0, 1.0, Dispatch::RoundRobin);
    let figures = flowcap::analysis::workload::figures(&w, 2, 5);
    let pooled = workload(8.0, 1.0, Dispatch::Queue).waits(2, 5).mean_wait_seconds.unwrap();
    assert_eq!(figures.pooled_mean_wait_seconds, Some(pooled));
    let extra = figures.extra_wait_vs_pooled_seconds.unwrap();
    assert!(extra > 0.0);
    assert!((figures.waits.mean_wait_seconds.unwrap() - pooled - extra).abs() < 1e-12);
    // Throughput ceiling: 10 slots ÷ 1 s = 600/min.
    assert_eq!(figures.throughput_ceiling_per_minute, 600.0);
    // The curve runs 10 % … 100 % in 5 % steps; at 100 % the queue is unstable.
    assert_eq!(figures.curve.len(), 19);
    assert_eq!(figures.curve[0].load_share, 0.1);
    assert_eq!(figures.curve[18].mean_wait_seconds, None);
    let waits: Vec<f64> = figures.curve[..18].iter().map(|p| p.mean_wait_seconds.unwrap()).collect();
    assert!(waits.windows(2).all(|w| w[0] <= w[1]), "wait grows with load: {waits:?}");
}

proptest! {
    #[test]
    fn more_slots_never_wait_longer(servers in 1u64..400, extra in 1u64..50, share in 0.01f64..0.999) {
        let load = servers as f64 * share;
        let fewer = Mmc { servers, load, duration: 1.0 };
        let more = Mmc { servers: servers + extra, load, duration: 1.0 };
        prop_assert!(more.mean_wait() <= fewer.mean_wait());
        prop_assert!(more.wait_percentile(0.95) <= fewer.wait_percentile(0.95));
        prop_assert!(erlang_c(servers + extra, load) <= erlang_c(servers, load));
    }

    #[test]
    fn pooled_never_waits_longer_than_round_robin(replicas in 1u32..20, slots in 1u32..40, share in 0.01f64..0.999) {
        let load = f64::from(replicas * slots) * share;
        let pooled = workload(load, 3.0, Dispatch::Queue).waits(replicas, slots);
        let split = workload(load, 3.0, Dispatch::RoundRobin).waits(replicas, slots);
        prop_assert!(pooled.mean_wait_seconds.unwrap() <= split.mean_wait_seconds.unwrap() * (1.0 + 1e-12));
        prop_assert!(pooled.wait_probability.unwrap() <= split.wait_probability.unwrap() * (1.0 + 1e-12));
    }

    #[test]
    fn erlang_c_is_a_probability(servers in 1u64..20_000, share in 0.0f64..0.99999) {
        let c = erlang_c(servers, servers as f64 * share);
        prop_assert!((0.0..=1.0).contains(&c));
    }
}
