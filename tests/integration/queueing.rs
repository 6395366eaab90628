//! The two paths' models against a seeded discrete-event simulation of runtimes that serve
//! both (queued runs from one pooled queue, streaming runs admitted at once on the runtime
//! the split picks), and their properties.

use flowcap::analysis::queueing::{Mgc, erlang_c};
use flowcap::analysis::{poisson, streaming};
use flowcap::model::plan::{HttpRouting, PathLoad, Plan, Workload};
use flowcap::model::units::Bytes;
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

    /// A lognormal variate with mean `mean` and σ `sigma` (Box–Muller for the normal).
    fn lognormal(&mut self, mean: f64, sigma: f64) -> f64 {
        let normal = (-2.0 * self.next_f64().ln()).sqrt() * (std::f64::consts::TAU * self.next_f64()).cos();
        mean * (sigma * normal - sigma * sigma / 2.0).exp()
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next_f64() * n as f64) as usize).min(n - 1)
    }
}

/// Time as ordered bits: non-negative f64s order like their bit patterns.
fn key(t: f64) -> Reverse<u64> {
    Reverse(t.to_bits())
}

/// How long runs take in the simulation.
#[derive(Clone, Copy)]
enum Durations {
    Exponential(f64),
    /// Mean and σ.
    Lognormal(f64, f64),
}

impl Durations {
    fn draw(self, rng: &mut Rng) -> f64 {
        match self {
            Durations::Exponential(mean) => rng.exponential(mean),
            Durations::Lognormal(mean, sigma) => rng.lognormal(mean, sigma),
        }
    }
}

/// What the simulation saw.
struct Simulated {
    queued_mean_wait: f64,
    queued_p95_wait: f64,
    /// Streaming runs on runtime 0 at random instants (a Poisson observer sees time averages).
    streaming_on_first: Vec<u32>,
    /// The share of those instants at which some runtime held more streaming runs than `fit`.
    any_over_fit: f64,
}

/// `runtimes` runtimes of `slots` queue slots each. Queued runs (rate per second, durations)
/// wait FCFS for the first free slot of any runtime; streaming runs start at once on a
/// runtime picked at random (an even split) and hold it for their duration.
#[allow(clippy::too_many_arguments)]
fn simulate(
    runtimes: usize,
    slots: usize,
    queued: (f64, Durations),
    streaming: (f64, Durations),
    fit: u32,
    events: usize,
    seed: u64,
) -> Simulated {
    let mut rng = Rng(seed);
    let mut free: BinaryHeap<Reverse<u64>> = (0..runtimes * slots).map(|_| key(0.0)).collect();
    let mut running: Vec<BinaryHeap<Reverse<u64>>> = (0..runtimes).map(|_| BinaryHeap::new()).collect();
    let (queued_rate, queued_durations) = queued;
    let (streaming_rate, streaming_durations) = streaming;
    let sample_rate = streaming_rate.max(queued_rate).max(1.0);
    let total = queued_rate + streaming_rate + sample_rate;
    let warmup = events / 10;
    let mut now = 0.0;
    let mut waits = Vec::new();
    let (mut on_first, mut over, mut samples) = (Vec::new(), 0usize, 0usize);
    for n in 0..events + warmup {
        // The superposition of three Poisson streams: the next event is one of them in
        // proportion to its rate.
        now += rng.exponential(1.0 / total);
        let pick = rng.next_f64() * total;
        if pick < queued_rate {
            let Reverse(bits) = free.pop().unwrap();
            let start = f64::from_bits(bits).max(now);
            free.push(key(start + queued_durations.draw(&mut rng)));
            if n >= warmup {
                waits.push(start - now);
            }
        } else if pick < queued_rate + streaming_rate {
            let runtime = rng.below(runtimes);
            running[runtime].push(key(now + streaming_durations.draw(&mut rng)));
        } else if n >= warmup {
            let mut any = false;
            for (index, heap) in running.iter_mut().enumerate() {
                while heap.peek().is_some_and(|Reverse(end)| f64::from_bits(*end) <= now) {
                    heap.pop();
                }
                let count = u32::try_from(heap.len()).unwrap();
                any |= count > fit;
                if index == 0 {
                    on_first.push(count);
                }
            }
            over += usize::from(any);
            samples += 1;
        }
    }
    waits.sort_by(f64::total_cmp);
    Simulated {
        queued_mean_wait: waits.iter().sum::<f64>() / waits.len() as f64,
        queued_p95_wait: waits[waits.len() * 95 / 100],
        streaming_on_first: on_first,
        any_over_fit: over as f64 / samples as f64,
    }
}

fn within(what: &str, simulated: f64, analytic: f64, tolerance: f64) {
    let error = (simulated - analytic).abs() / analytic;
    assert!(error < tolerance, "{what}: analytic {analytic:.5}, simulated {simulated:.5} ({:.1} %)", error * 100.0);
}

/// Queued runs at utilisation 0.5, 0.7 and 0.9 of 10 slots (2 runtimes × 5) with streaming
/// runs beside them: the pooled queue's mean and p95 wait match M/M/c, and with lognormal
/// durations (p95 = 2.5 × mean) the Allen–Cunneen M/G/c approximation.
#[test]
fn queued_waits_match_simulation() {
    for (utilisation, seed) in [0.5, 0.7, 0.9].into_iter().zip([1, 2, 3]) {
        let load = 10.0 * utilisation;
        let exponential = PathLoad::new(load / 2.0 * 60.0, Seconds(2.0));
        let analytic = exponential.waits(2, 5);
        let seen = simulate(
            2,
            5,
            (load / 2.0, Durations::Exponential(2.0)),
            (6.0, Durations::Exponential(4.0)),
            30,
            1_500_000,
            seed,
        );
        within(
            &format!("M/M/c mean wait at ρ {utilisation}"),
            seen.queued_mean_wait,
            analytic.mean_wait_seconds.unwrap(),
            0.05,
        );
        if utilisation >= 0.7 {
            within(
                &format!("M/M/c p95 wait at ρ {utilisation}"),
                seen.queued_p95_wait,
                analytic.p95_wait_seconds.unwrap(),
                0.05,
            );
        }

        let spread = PathLoad { p95_duration: Some(Seconds(5.0)), ..exponential };
        let sigma = flowcap::model::plan::lognormal_sigma(2.0, 5.0).unwrap();
        let analytic = spread.waits(2, 5);
        let seen = simulate(
            2,
            5,
            (load / 2.0, Durations::Lognormal(2.0, sigma)),
            (6.0, Durations::Exponential(4.0)),
            30,
            1_500_000,
            seed + 10,
        );
        within(
            &format!("M/G/c mean wait at ρ {utilisation}"),
            seen.queued_mean_wait,
            analytic.mean_wait_seconds.unwrap(),
            0.08,
        );
    }
}

/// Streaming runs on 2 runtimes, 24 in flight (the 12 per runtime), with lognormal
/// durations: the count on one runtime is Poisson(12) (mean, p99 and the tail past a memory
/// fit of 18), and the share of time some runtime is past it is 1 − (1 − p)².
#[test]
fn streaming_per_runtime_matches_simulation() {
    let mut plan = Plan::default();
    plan.runtime.replicas = 2;
    plan.runtime.http_routing = HttpRouting::Balanced;
    plan.runtime.limits.memory = Some(Bytes::mib(18 * 256));
    let mut path = PathLoad::new(60.0, Seconds(24.0));
    path.memory_per_execution = Some(Bytes::mib(256));
    plan.workload = Some(Workload { streaming: Some(path), ..Workload::default() });
    let figures = streaming::figures(&plan, 2).unwrap();
    assert_eq!(
        (figures.mean_per_runtime, figures.p99_per_runtime, figures.memory_fit_per_runtime),
        (12.0, 21, Some(18))
    );

    let sigma = flowcap::model::plan::lognormal_sigma(24.0, 60.0).unwrap();
    let seen =
        simulate(2, 1, (0.01, Durations::Exponential(1.0)), (1.0, Durations::Lognormal(24.0, sigma)), 18, 3_000_000, 7);
    let counts = &seen.streaming_on_first;
    let mean = counts.iter().map(|&c| f64::from(c)).sum::<f64>() / counts.len() as f64;
    within("mean per runtime", mean, 12.0, 0.02);
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    assert!((20..=22).contains(&sorted[sorted.len() * 99 / 100]), "p99 {}", sorted[sorted.len() * 99 / 100]);
    let over = counts.iter().filter(|&&c| c > 18).count() as f64 / counts.len() as f64;
    within("P(N > 18) on one runtime", over, figures.over_memory_per_runtime.unwrap(), 0.06);
    within("P(some runtime over 18)", seen.any_over_fit, figures.over_memory_any_runtime.unwrap(), 0.06);
    assert!((figures.over_memory_per_runtime.unwrap() - poisson::upper_tail(18, 12.0)).abs() < 1e-15);
}

#[test]
fn figures_by_hand() {
    // 120/min × 30 s = 60 Erlangs.
    let w = Workload::queued(120.0, Seconds(30.0));
    assert_eq!(w.queued.unwrap().offered_load(), 60.0);
    let on_40 = w.waits(4, 10);
    assert!(!on_40.stable);
    assert_eq!(on_40.utilisation, 1.5);
    assert_eq!(on_40.mean_wait_seconds, None);
    // A = 10 on 12 slots, D = 1 s: C = 0.4494, Wq = C / 2 = 0.2247 s.
    let w = Workload::queued(600.0, Seconds(1.0));
    let waits = w.waits(3, 4);
    assert!((waits.wait_probability.unwrap() - 0.4494).abs() < 1e-4);
    assert!((waits.mean_wait_seconds.unwrap() - 0.2247).abs() < 1e-4);
    // p95: ln(0.4494 / 0.05) / 2 = 1.098 s.
    assert!((waits.p95_wait_seconds.unwrap() - (0.449_4f64 / 0.05).ln() / 2.0).abs() < 1e-3);
    // With duration_cv 2 (cv² 4), Allen–Cunneen scales the waits by (1 + 4) / 2.
    let mut spread = w.clone();
    spread.queued.as_mut().unwrap().duration_cv = Some(2.0);
    let scaled = spread.waits(3, 4);
    assert_eq!(scaled.wait_probability, waits.wait_probability);
    assert!((scaled.mean_wait_seconds.unwrap() / waits.mean_wait_seconds.unwrap() - 2.5).abs() < 1e-12);
    // A workload with streaming runs only has nothing queued.
    let streaming_only = Workload { streaming: w.queued, ..Workload::default() };
    assert_eq!(streaming_only.waits(3, 4).offered_load, 0.0);
    assert_eq!(streaming_only.waits(3, 4).mean_wait_seconds, Some(0.0));
}

#[test]
fn queued_figures_have_a_ceiling_and_a_curve() {
    let w = Workload::queued(480.0, Seconds(1.0));
    let figures = flowcap::analysis::workload::figures(&w, 2, 5).unwrap();
    assert_eq!(figures.model, "M/M/c (Erlang C)");
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
        let fewer = Mgc { servers, load, duration: 1.0, duration_cv2: 1.0 };
        let more = Mgc { servers: servers + extra, load, duration: 1.0, duration_cv2: 1.0 };
        prop_assert!(more.mean_wait() <= fewer.mean_wait());
        prop_assert!(more.wait_percentile(0.95) <= fewer.wait_percentile(0.95));
        prop_assert!(erlang_c(servers + extra, load) <= erlang_c(servers, load));
    }

    #[test]
    fn poisson_tail_falls_and_quantile_inverts_it(mean in 0.01f64..5_000.0, share in 0.5f64..0.9999) {
        let k = poisson::quantile(share, mean);
        prop_assert!(poisson::upper_tail(k, mean) <= 1.0 - share);
        if k > 0 {
            prop_assert!(poisson::upper_tail(k - 1, mean) > 1.0 - share);
        }
        prop_assert!(poisson::upper_tail(k + 1, mean) <= poisson::upper_tail(k, mean));
    }

    #[test]
    fn erlang_c_is_a_probability(servers in 1u64..20_000, share in 0.0f64..0.99999) {
        let c = erlang_c(servers, servers as f64 * share);
        prop_assert!((0.0..=1.0).contains(&c));
    }
}

/// What the queued runs take from a runtime before its streaming runs: their slots' memory
/// (each at the queued runs' memory, else the streaming runs'), and their CPU at the mean; and
/// the capacity line each spread gives.
#[test]
fn queued_slots_come_first_on_each_runtime() {
    use flowcap::model::units::Cpus;
    let mut plan = Plan::default();
    plan.runtime.replicas = 2;
    plan.runtime.limits.memory = Some(Bytes::gib(8));
    plan.runtime.limits.cpus = Some(Cpus::whole(4));
    plan.runtime.base_memory = Bytes::mib(512);
    let mut streaming = PathLoad::new(48.0, Seconds(30.0));
    streaming.memory_per_execution = Some(Bytes::gib(1));
    streaming.cpu_per_execution = Some(Cpus(500));
    let mut queued = PathLoad::new(10.0, Seconds(30.0));
    queued.memory_per_execution = Some(Bytes::mib(512));
    plan.workload = Some(Workload { streaming: Some(streaming), ..Workload::default() });
    // Alone: (8 GiB − 512 MiB) ÷ 1 GiB = 7 runs; all 24 in flight on one runtime (Docker's DNS).
    let alone = streaming::figures(&plan, 2).unwrap();
    assert_eq!((alone.memory_fit_per_runtime, alone.cpu_demand_per_runtime), (Some(7), Some(12.0)));
    assert_eq!(alone.summary(), "no limit — at the peak, mean 24, p99 36 on one runtime (Docker's DNS)");
    // With 10 queued slots of 512 MiB: 5 GiB kept for them, 2 runs fit; their 5 Erlangs over two
    // runtimes keep 2.5 × 0.5 CPU busy beside the streaming runs' 12.
    plan.workload.as_mut().unwrap().queued = Some(queued);
    let beside = streaming::figures(&plan, 2).unwrap();
    assert_eq!((beside.memory_fit_per_runtime, beside.cpu_demand_per_runtime), (Some(2), Some(13.25)));
    assert_eq!(beside.cpu_stretch, Some(13.25 / 4.0));
    // Queued runs without a memory of their own take the streaming runs': 10 GiB, none fit.
    plan.workload.as_mut().unwrap().queued.as_mut().unwrap().memory_per_execution = None;
    assert_eq!(streaming::figures(&plan, 2).unwrap().memory_fit_per_runtime, Some(0));
    // Spread evenly: 12 each.
    plan.runtime.http_routing = HttpRouting::Balanced;
    assert_eq!(streaming::figures(&plan, 2).unwrap().summary(), "no limit — at the peak, mean 12, p99 21 per runtime");
}

/// The queued runs' busy CPU is their load shared by the runtimes, at most every slot busy: 15
/// Erlangs over 2 runtimes of 10 slots keep 7.5 busy on each, 30 Erlangs all 10; at their own
/// 0.25 CPU beside 12 streaming runs of 0.5 on each. The memory line keeps their slots' memory
/// (10 × 512 MiB) beside the runtime's base and the streaming fit; a queued path with no
/// arrivals keeps none.
#[test]
fn queued_slots_take_their_share_of_cpu_and_memory_beside_the_streaming_runs() {
    use flowcap::model::units::Cpus;
    let mut plan = Plan::default();
    plan.runtime.replicas = 2;
    plan.runtime.http_routing = HttpRouting::Balanced;
    plan.runtime.limits.memory = Some(Bytes::gib(32));
    plan.runtime.limits.cpus = Some(Cpus::whole(4));
    plan.runtime.base_memory = Bytes::mib(512);
    let mut streaming = PathLoad::new(48.0, Seconds(30.0));
    streaming.memory_per_execution = Some(Bytes::gib(1));
    streaming.cpu_per_execution = Some(Cpus(500));
    let mut queued = PathLoad::new(30.0, Seconds(30.0));
    queued.memory_per_execution = Some(Bytes::mib(512));
    queued.cpu_per_execution = Some(Cpus(250));
    plan.workload = Some(Workload { streaming: Some(streaming), queued: Some(queued), ..Workload::default() });
    let figures = streaming::figures(&plan, 2).unwrap();
    assert_eq!(figures.cpu_demand_per_runtime, Some(12.0 * 0.5 + 7.5 * 0.25));
    assert_eq!(figures.cpu_stretch, Some((6.0 + 1.875) / 4.0));
    // The fit the line asks for on each of 2 runtimes (mean 12), beside base and slots.
    let allowed = 1.0 - (1.0f64 - 0.001).powf(0.5);
    let fit = poisson::quantile(1.0 - allowed, 12.0);
    let line = Bytes::mib(512).0 + 10 * Bytes::mib(512).0 + fit * Bytes::gib(1).0;
    assert_eq!(streaming::memory_within_line(&plan, &figures), Some(Bytes(line)));
    // 30 Erlangs: every one of the 10 slots on each runtime busy.
    plan.workload.as_mut().unwrap().queued.as_mut().unwrap().arrivals_per_minute = 60.0;
    assert_eq!(streaming::figures(&plan, 2).unwrap().cpu_demand_per_runtime, Some(6.0 + 10.0 * 0.25));
    // No queued arrivals: no slot busy, no memory kept for them.
    plan.workload.as_mut().unwrap().queued.as_mut().unwrap().arrivals_per_minute = 0.0;
    let idle = streaming::figures(&plan, 2).unwrap();
    assert_eq!(idle.cpu_demand_per_runtime, Some(6.0));
    assert_eq!(idle.memory_fit_per_runtime, Some(31));
    let line = Bytes::mib(512).0 + fit * Bytes::gib(1).0;
    assert_eq!(streaming::memory_within_line(&plan, &idle), Some(Bytes(line)));
}

/// The memory fix's two answers, by hand (mpmath): 48 streaming runs a minute of 30 s over
/// three runtimes of 12 GiB at 700 MiB a run (the reference's streaming-memory-tight example):
/// some runtime is past its fit of 17 for 0.48 % of the peak. Under the 0.1 % warning line, each
/// runtime may be past its fit 1 − 0.999^(1/3) = 3.3e-4 of the time: a fit of 19 (13,300 MiB);
/// or four runtimes of 12 GiB (mean 6: 0.023 %).
#[test]
fn the_memory_fix_is_the_smallest_under_the_warning_line() {
    let mut plan = Plan::default();
    plan.runtime.replicas = 3;
    plan.runtime.limits.memory = Some(Bytes::gib(12));
    plan.runtime.http_routing = HttpRouting::Balanced;
    let mut path = PathLoad::new(48.0, Seconds(30.0));
    path.memory_per_execution = Some(Bytes::mib(700));
    plan.workload = Some(Workload { streaming: Some(path), ..Workload::default() });
    let figures = streaming::figures(&plan, 3).unwrap();
    assert_eq!(figures.memory_fit_per_runtime, Some(17));
    assert!((figures.over_memory_any_runtime.unwrap() - 0.004_775_163_303_192_473).abs() < 1e-12);
    assert_eq!(streaming::memory_within_line(&plan, &figures), Some(Bytes::mib(13_300)));
    assert_eq!(streaming::replicas_within_line(&plan, 12), Some(4));
    assert_eq!(streaming::replicas_within_line(&plan, 3), None, "no more than the most asked");
    // A warning line of 1 %: today's three runtimes already do, and a fit of 18 would.
    plan.policy.streaming_memory_warning_percent = 1.0;
    assert_eq!(streaming::replicas_within_line(&plan, 12), Some(3));
    let figures = streaming::figures(&plan, 3).unwrap();
    assert_eq!(streaming::memory_within_line(&plan, &figures), Some(Bytes::mib(17 * 700)));
}

/// The offered load decided in exact arithmetic from the decimals the operator wrote: 12.5 runs
/// a minute of 2.4 s is 30 run-seconds a minute, 0.5 Erlang exactly; 12.5 × 48 s is 10 exactly,
/// which 10 slots do not serve and 11 do.
#[test]
fn the_offered_load_is_exact_in_the_operators_decimals() {
    use flowcap::analysis::workload::ExactLoad;
    let half = ExactLoad::of(12.5, 2.4);
    assert!(half.below(1) && !half.below(0));
    assert_eq!(half.slots_for_stability(), 1);
    let ten = ExactLoad::of(12.5, 48.0);
    assert!(!ten.below(10) && ten.below(11));
    assert_eq!(ten.slots_for_stability(), 11);
    // Both with decimals: 0.3 a minute of 100.5 s is 30.15 ÷ 60 = 0.5025 Erlang.
    let both = ExactLoad::of(0.3, 100.5);
    assert!(both.below(1));
    assert_eq!(ExactLoad::of(2.5, 48.5).slots_for_stability(), 3);
}

/// The queued path's figures by hand: the model's name by what the durations say, the
/// throughput ceiling (slots ÷ duration), the curve's arrivals at a share of it, and a load
/// that is exactly the slots though floating point puts it a hair under.
#[test]
fn queued_figures_name_their_model_and_hold_an_exact_saturation_unstable() {
    use flowcap::analysis::workload::figures;
    let with = |cv: Option<f64>, p95: Option<f64>| {
        let mut load = PathLoad::new(30.0, Seconds(35.0));
        load.duration_cv = cv;
        load.p95_duration = p95.map(Seconds);
        Workload { queued: Some(load), ..Workload::default() }
    };
    assert_eq!(figures(&with(None, None), 2, 10).unwrap().model, "M/M/c (Erlang C)");
    assert_eq!(figures(&with(Some(0.5), None), 2, 10).unwrap().model, "M/G/c (Allen–Cunneen, duration cv 0.5)");
    assert!(figures(&with(None, Some(70.0)), 2, 10).unwrap().model.starts_with("M/G/c (Allen–Cunneen"));
    let f = figures(&with(None, None), 2, 10).unwrap();
    // 20 slots of 35 s: 20 × 60 ÷ 35 = 34.2857 runs a minute at most.
    assert!((f.throughput_ceiling_per_minute - 34.285_714_285_714_285).abs() < 1e-9);
    // Half the ceiling: 0.5 × 20 ÷ 35 × 60 = 17.142857 a minute.
    let half = f.curve.iter().find(|p| p.load_share == 0.5).unwrap();
    assert!((half.arrivals_per_minute - 17.142_857_142_857_142).abs() < 1e-9);
    // 10.2 a minute of 100 s is 17 Erlangs exactly; 10.2 × 100 ÷ 60 is 16.999999999999996.
    let saturated = PathLoad::new(10.2, Seconds(100.0)).waits(1, 17);
    assert!(saturated.offered_load < 17.0 && !saturated.stable);
    assert_eq!((saturated.mean_wait_seconds, saturated.p95_wait_seconds), (None, None));
}

/// Waits as the reports and the planner show them; an unstable queue's are endless.
#[test]
fn waits_are_shown_in_their_unit_and_endless_when_unstable() {
    use flowcap::analysis::workload::wait_text;
    assert_eq!(
        [wait_text(Some(1.5)), wait_text(Some(0.25)), wait_text(Some(0.0)), wait_text(None)],
        ["1.5 s", "250 ms", "0 s", "∞"]
    );
}

/// Without a target of its own, a queued workload is sized for a p95 wait of a tenth of its
/// mean duration (3 s for 30 s); a target given stands, and streaming runs wait for nothing.
#[test]
fn solve_sizes_for_a_tenth_of_the_duration_without_a_target() {
    use flowcap::analysis::workload::sized_workload;
    use flowcap::model::plan::Target;
    let queued = Workload::queued(60.0, Seconds(30.0));
    let target = |w: &Workload| w.target.and_then(|t| t.p95_wait);
    assert_eq!(target(&sized_workload(&queued)), Some(Seconds(3.0)));
    let own =
        Workload { target: Some(Target { p95_wait: Some(Seconds(9.0)), wait_probability_percent: None }), ..queued };
    assert_eq!(target(&sized_workload(&own)), Some(Seconds(9.0)));
    let streaming =
        Workload { queued: None, streaming: Some(PathLoad::new(60.0, Seconds(30.0))), ..Workload::default() };
    assert_eq!(sized_workload(&streaming).target, None);
}
