//! The Poisson distribution's tail, exactly: how many streaming runs one runtime holds at once
//! (M/G/∞: Poisson with mean λ·D, whatever the durations). A normal approximation is wrong in
//! the far tail, where the memory risk lives; the tail here is a sum of probabilities, each
//! from Loader's saddle-point form (the one R's `dpois` uses), accurate to about 1e-13 relative
//! at any mean flowcap allows (to 10⁷).

use std::f64::consts::PI;

/// ln(n!) − ((n + ½)·ln n − n + ln √(2π)): the error of Stirling's formula, for n ≥ 1.
fn stirling_error(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    // Below 16 the series converges too slowly: the values themselves, from mpmath at 50
    // digits, as R's dpois keeps them (the subtraction from ln(n!) would lose ~1e-13).
    const SMALL: [f64; 15] = [
        0.08106146679532726,
        0.0413406959554093,
        0.02767792568499834,
        0.020790672103765093,
        0.016644691189821193,
        0.013876128823070748,
        0.01189670994589177,
        0.010411265261972096,
        0.009255462182712733,
        0.00833056343336287,
        0.007573675487951841,
        0.00694284010720953,
        0.006408994188004207,
        0.0059513701127588475,
        0.005554733551962801,
    ];
    if n <= 15.0 {
        return SMALL[(n as usize).max(1) - 1];
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// x·ln(x / m) + m − x, without the cancellation that form has when x is near m.
fn deviance(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let v = (x - m) / (x + m);
        let mut sum = (x - m) * v;
        let mut term = 2.0 * x * v;
        let v2 = v * v;
        for j in 1..1000 {
            term *= v2;
            let next = sum + term / f64::from(2 * j + 1);
            if next == sum {
                return next;
            }
            sum = next;
        }
        return sum;
    }
    x * (x / m).ln() + m - x
}

/// P(N = k) for N ~ Poisson(mean).
pub fn probability(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if k == 0 {
        return (-mean).exp();
    }
    let x = k as f64;
    (-stirling_error(x) - deviance(x, mean)).exp() / (2.0 * PI * x).sqrt()
}

/// P(N > k) for N ~ Poisson(mean). Above the mean, the sum of the terms past `k` (each the
/// last times mean ÷ j, falling); at or below it, 1 − [`at_most`], which is then at least about
/// a half, so the subtraction loses nothing.
pub fn upper_tail(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    if (k as f64) >= mean {
        let mut j = k + 1;
        let mut term = probability(j, mean);
        let mut sum = 0.0;
        while term > sum * 1e-17 && term > 0.0 {
            sum += term;
            j += 1;
            term *= mean / j as f64;
        }
        sum
    } else {
        (1.0 - at_most(k, mean)).max(0.0)
    }
}

/// P(N ≤ k) for N ~ Poisson(mean). Below the mean, the sum of the terms to `k` (each the last
/// times j ÷ mean going down, falling); at or above it, 1 − [`upper_tail`], which is then at
/// most about a half.
pub fn at_most(k: u64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 1.0;
    }
    if (k as f64) >= mean {
        return 1.0 - upper_tail(k, mean);
    }
    let mut j = k;
    let mut term = probability(j, mean);
    let mut sum = 0.0;
    while term > sum * 1e-17 && term > 0.0 {
        sum += term;
        if j == 0 {
            break;
        }
        term *= j as f64 / mean;
        j -= 1;
    }
    sum
}

/// The smallest k with P(N ≤ k) ≥ `share` (0.99 → the 99th percentile).
pub fn quantile(share: f64, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let tail = 1.0 - share;
    let (mut low, mut high) = (0u64, (mean + 40.0 * mean.sqrt() + 40.0) as u64);
    // Invariant: the answer is in low..=high (P(N > high) is far below any share asked).
    while low < high {
        let middle = low + (high - low) / 2;
        if upper_tail(middle, mean) <= tail {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P(N > k) to 20 digits from mpmath (kept as printed, past f64's 17) (`gammainc(k + 1, 0, mean, regularized=True)` at 50
    /// digits): small, middle and far tails at means to 10⁶.
    #[allow(clippy::excessive_precision)]
    const REFERENCE: [(f64, u64, f64); 14] = [
        (0.5, 0, 0.3934693402873665764),
        (0.5, 3, 0.0017516225562908236521),
        (12.0, 12, 0.4240347514269352679),
        (12.0, 21, 0.0060651474043965061282),
        (12.0, 40, 4.5190661985998585242e-11),
        (12.0, 3, 0.99770820879220857776),
        (1000.0, 1000, 0.49159063283149400879),
        (1000.0, 1100, 0.00086764096344356208518),
        (1000.0, 900, 0.99930223267220369322),
        (1e6, 1_000_000, 0.49973403851371634721),
        (1e6, 1_005_000, 2.9188924670030268781e-7),
        (1e6, 1_003_000, 0.0013535901291012491903),
        (1e6, 995_000, 0.99999971851796161035),
        (250_000.0, 251_500, 0.00135728000121343636),
    ];

    #[test]
    fn upper_tail_within_1e_9_of_mpmath() {
        for (mean, k, expected) in REFERENCE {
            let got = upper_tail(k, mean);
            let relative = (got - expected).abs() / expected;
            assert!(relative <= 1e-9, "P(N > {k}) at mean {mean}: {got} against {expected} ({relative:e})");
        }
    }

    #[test]
    fn quantiles_match_mpmath() {
        // The 99th percentile, found with mpmath as above.
        assert_eq!(quantile(0.99, 0.5), 3);
        assert_eq!(quantile(0.99, 12.0), 21);
        assert_eq!(quantile(0.99, 1000.0), 1074);
        assert_eq!(quantile(0.99, 1e6), 1_002_327);
        assert_eq!(quantile(0.99, 0.0), 0);
    }

    /// ln(n!) − ((n + ½)·ln n − n + ln √(2π)) by mpmath at 50 digits, at both ends of every
    /// branch (the exact factorial to 15, the series to 35, 80 and 500, and past).
    const STIRLING: [(f64, f64); 16] = [
        (1.0, 0.08106146679532726),
        (2.0, 0.0413406959554093),
        (10.0, 0.00833056343336287),
        (15.0, 0.005554733551962801),
        (16.0, 0.0052076559196096404),
        (20.0, 0.004166319691996922),
        (35.0, 0.002380887608234112),
        (36.0, 0.002314755290514684),
        (50.0, 0.0016666444469833656),
        (80.0, 0.0010416612415616192),
        (81.0, 0.0010288013577107774),
        (200.0, 0.00041666631944692453),
        (500.0, 0.00016666664444446984),
        (501.0, 0.0001663339765799327),
        (10000.0, 8.333333330555555e-06),
        (10000000.0, 8.33333333333333e-09),
    ];

    /// x·ln(x / m) + m − x by mpmath at 50 digits: near the mean (the series) and far from it.
    const DEVIANCE: [(f64, f64, f64); 9] = [
        (10.0, 10.5, 0.01209835830567997),
        (100.0, 99.0, 0.005033585350144119),
        (1000.0, 1001.0, 0.0004996669164668332),
        (1000000.0, 1000500.0, 0.12495834895208593),
        (5.0, 12.0, 2.6226563132305003),
        (40.0, 12.0, 20.15891217303744),
        (1.0, 0.5, 0.19314718055994531),
        (1005000.0, 1000000.0, 12.47921859426898),
        (3.0, 50.0, 38.55976784971989),
    ];

    /// Both are exponents: an absolute error e in them is a relative error e in the probability.
    #[test]
    fn stirling_error_and_deviance_within_1e_13_of_mpmath() {
        for (n, expected) in STIRLING {
            let error = (stirling_error(n) - expected).abs();
            assert!(error <= 1e-15, "stirling_error({n}) = {} against {expected} ({error:e})", stirling_error(n));
        }
        for (x, m, expected) in DEVIANCE {
            let error = (deviance(x, m) - expected).abs();
            assert!(error <= 1e-13, "deviance({x}, {m}) = {} against {expected} ({error:e})", deviance(x, m));
            // Near the mean the series keeps the digits the plain form would cancel.
            if (x - m).abs() < 0.1 * (x + m) {
                assert!(error / expected <= 1e-13, "deviance({x}, {m}): {:e} relative", error / expected);
            }
        }
    }

    #[test]
    fn edges() {
        assert_eq!(upper_tail(0, 0.0), 0.0);
        assert_eq!(probability(0, 0.0), 1.0);
        assert_eq!(probability(3, 0.0), 0.0);
        assert!((probability(0, 2.0) - (-2.0f64).exp()).abs() < 1e-16);
        // P(N = 2) at mean 2: 2e⁻².
        assert!((probability(2, 2.0) / (2.0 * (-2.0f64).exp()) - 1.0).abs() < 1e-13);
    }
}
