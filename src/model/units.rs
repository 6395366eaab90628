//! Byte sizes and CPU amounts as Compose and Kubernetes write them.
//!
//! Memory: a number with an optional unit `b`, `k`, `m`, `g`, `t`, `p`, optionally followed by
//! `i` and/or `b`, case-insensitive, binary multiples (`1k` = 1024). This is Docker's
//! `RAMInBytes` grammar, which Compose uses and flowcap's plans use, and it also covers
//! Kubernetes' binary suffixes (`512Mi`, `8Gi`). Helm values are read as Kubernetes reads
//! quantities ([`Bytes::parse_kubernetes`]): there `2G` is 2,000,000,000 bytes and `512m` half
//! a byte. CPUs: a decimal (`0.5`, `4`) or Kubernetes millicores (`250m`).

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The largest memory size flowcap accepts: no container or host is bigger, and sums of
/// thousands of them still fit in a `u64` comfortably.
pub const MAX_BYTES: u64 = 1 << 50;
/// The largest CPU amount flowcap accepts, in millicores (100,000 CPUs).
pub const MAX_MILLICPUS: u64 = 100_000_000;

const KIB: u64 = 1024;
const MIB: u64 = KIB * 1024;
const GIB: u64 = MIB * 1024;
const TIB: u64 = GIB * 1024;
const PIB: u64 = TIB * 1024;

/// A size in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub u64);

/// An amount of CPU in thousandths of a CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cpus(pub u64);

impl Bytes {
    pub const fn mib(n: u64) -> Bytes {
        Bytes(n * MIB)
    }

    pub const fn gib(n: u64) -> Bytes {
        Bytes(n * GIB)
    }

    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// Parses Compose's (and Kubernetes' binary) byte syntax.
    ///
    /// ```
    /// use flowcap::model::units::Bytes;
    /// assert_eq!(Bytes::parse("512m"), Ok(Bytes::mib(512)));
    /// assert_eq!(Bytes::parse("8Gi"), Bytes::parse("8g"));
    /// assert_eq!(Bytes::parse("1.5GB").unwrap().to_string(), "1.5 GiB");
    /// assert!(Bytes::parse("8 parsecs").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Bytes, String> {
        let expected = || {
            format!(
                "invalid memory size `{text}`: expected a number with an optional unit b, k, m, g, t \
                 (also kb, mb, gb; Ki, Mi, Gi), e.g. 512m or 8Gi"
            )
        };
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        // Past 18 decimals a fraction is finer than any byte the units reach: say that, not size.
        if number.split_once('.').is_some_and(|(_, fraction)| fraction.len() > 18) {
            return Err(format!("memory size `{text}` has more than 18 decimals"));
        }
        let multiplier = match unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "ki" | "kib" => KIB,
            "m" | "mb" | "mi" | "mib" => MIB,
            "g" | "gb" | "gi" | "gib" => GIB,
            "t" | "tb" | "ti" | "tib" => TIB,
            "p" | "pb" | "pi" | "pib" => PIB,
            _ => return Err(expected()),
        };
        let bytes = scale_decimal(number, multiplier).ok_or_else(expected)?;
        if bytes > u128::from(MAX_BYTES) {
            return Err(format!("memory size `{text}` is larger than 1 PiB"));
        }
        Ok(Bytes(bytes as u64))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64
    }
}

/// `number × multiplier` for a plain decimal `number` (digits, optional fraction), rounded
/// down; `None` when `number` is not such a decimal.
fn scale_decimal(number: &str, multiplier: u64) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || number.ends_with('.') {
        return None;
    }
    // Trailing zeros say nothing (`1.0000000000000000000000` is 1); past 20 digits the value
    // is absurd anyway, and past 18 decimals finer than any unit reaches (callers say which):
    // cap both to keep the arithmetic in range.
    let fraction = fraction.trim_end_matches('0');
    if whole.len() > 20 || fraction.len() > 18 {
        return Some(u128::MAX);
    }
    let whole: u128 = whole.parse().ok()?;
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
    let multiplier = u128::from(multiplier);
    Some(whole * multiplier + fraction * multiplier / scale)
}

impl fmt::Display for Bytes {
    /// Human-readable: `8 GiB`, `512 MiB`, `409.6 MiB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(PIB, "PiB"), (TIB, "TiB"), (GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")];
        for (size, name) in units {
            if self.0 >= size {
                return if self.0.is_multiple_of(size) {
                    write!(f, "{} {name}", self.0 / size)
                } else {
                    write!(f, "{} {name}", trim_decimal(self.0 as f64 / size as f64, 1))
                };
            }
        }
        write!(f, "{} B", self.0)
    }
}

impl Bytes {
    /// Two sizes said side by side so that different sizes read differently: as [`Display`]
    /// where that tells them apart, else in the largest of MiB, KiB and bytes that does
    /// (`8200.5 MiB` over `8192 MiB`, not `8 GiB` over `8 GiB`).
    ///
    /// [`Display`]: fmt::Display
    pub fn beside(self, other: Bytes) -> (String, String) {
        let (a, b) = (self.to_string(), other.to_string());
        if a != b || self == other {
            return (a, b);
        }
        [(MIB, "MiB"), (KIB, "KiB")]
            .iter()
            .map(|(size, name)| {
                let show = |n: Bytes| format!("{} {name}", trim_decimal(n.0 as f64 / *size as f64, 1));
                (show(self), show(other))
            })
            .find(|(a, b)| a != b)
            .unwrap_or_else(|| (format!("{} B", self.0), format!("{} B", other.0)))
    }

    /// The compact form Compose accepts, exact: `8G`, `1536M`, `1000`.
    pub fn compose(self) -> String {
        self.in_units(["P", "T", "G", "M", "K"])
    }

    /// The binary form exact in Kubernetes' spelling as well as in a plan's: `2Gi`, `1536Mi`,
    /// `1000`. (Kubernetes' shorter decimal `2G` is 2·10⁹ bytes, which a plan reads as 2 GiB.)
    pub fn binary(self) -> String {
        self.in_units(["Pi", "Ti", "Gi", "Mi", "Ki"])
    }

    /// The Kubernetes quantity, exact: `512Mi`, `4Gi`, else a decimal multiple (`2G`), else
    /// plain bytes.
    ///
    /// ```
    /// use flowcap::model::units::Bytes;
    /// assert_eq!(Bytes::mib(1536).kubernetes(), "1536Mi");
    /// assert_eq!(Bytes(2_000_000_000).kubernetes(), "2G");
    /// assert_eq!(Bytes::parse_kubernetes(&Bytes::gib(4).kubernetes()), Ok(Bytes::gib(4)));
    /// ```
    pub fn kubernetes(self) -> String {
        let binary = self.binary();
        let decimal = [
            (1_000_000_000_000_000, "P"),
            (1_000_000_000_000, "T"),
            (1_000_000_000, "G"),
            (1_000_000, "M"),
            (1_000, "k"),
        ]
        .iter()
        .find(|(size, _)| self.0 >= *size && self.0.is_multiple_of(*size))
        .map_or_else(|| self.0.to_string(), |(size, name)| format!("{}{name}", self.0 / size));
        // The shorter of the two exact forms; binary when they tie (512Mi, not 536870912).
        if decimal.len() < binary.len() { decimal } else { binary }
    }

    /// Parses a Kubernetes memory quantity: a decimal number with a binary suffix (`Ki` … `Ei`),
    /// a decimal one (`m`, `k`, `M`, `G`, `T`, `P`, `E`) or an exponent (`1e9`), case as
    /// written; a fraction of a byte rounds up, as the kubelet does.
    ///
    /// ```
    /// use flowcap::model::units::Bytes;
    /// assert_eq!(Bytes::parse_kubernetes("2100M"), Ok(Bytes(2_100_000_000)));
    /// assert_eq!(Bytes::parse_kubernetes("1.5Gi"), Ok(Bytes(3 << 29)));
    /// assert_eq!(Bytes::parse_kubernetes("1e9"), Ok(Bytes(1_000_000_000)));
    /// assert_eq!(Bytes::parse_kubernetes("512m"), Ok(Bytes(1)));
    /// assert!(Bytes::parse_kubernetes("1gi").is_err());
    /// ```
    pub fn parse_kubernetes(text: &str) -> Result<Bytes, String> {
        let expected = || {
            "expected a Kubernetes quantity: a number with Ki, Mi, Gi, Ti, Pi, Ei, or k, M, G, T, P, E, or an exponent (512Mi, 2G, 1e9)"
                .to_string()
        };
        let text = text.trim();
        let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
        let (number, suffix) = text.split_at(end);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() || fraction.len() > 9 || whole.len() > 20 {
            return Err(expected());
        }
        let digits = |d: &str| if d.is_empty() { Some(0u128) } else { d.parse::<u128>().ok() };
        let (Some(whole), Some(fraction_value)) = (digits(whole), digits(fraction)) else { return Err(expected()) };
        let scale = 10u128.pow(fraction.len() as u32);
        let value = whole * scale + fraction_value;
        // The multiplier as a fraction: numerator / denominator.
        let (numerator, denominator): (u128, u128) = match suffix {
            "" => (1, 1),
            "Ki" => (1 << 10, 1),
            "Mi" => (1 << 20, 1),
            "Gi" => (1 << 30, 1),
            "Ti" => (1 << 40, 1),
            "Pi" => (1 << 50, 1),
            "Ei" => (1 << 60, 1),
            "m" => (1, 1_000),
            "k" => (1_000, 1),
            "M" => (1_000_000, 1),
            "G" => (1_000_000_000, 1),
            "T" => (1_000_000_000_000, 1),
            "P" => (1_000_000_000_000_000, 1),
            "E" => (1_000_000_000_000_000_000, 1),
            exponent => match exponent.strip_prefix(['e', 'E']).and_then(|e| e.parse::<i32>().ok()) {
                Some(e) if (0..=18).contains(&e) => (10u128.pow(e as u32), 1),
                Some(e) if (-18..0).contains(&e) => (1, 10u128.pow(e.unsigned_abs())),
                _ => return Err(expected()),
            },
        };
        let bytes = (value * numerator).div_ceil(scale * denominator);
        if bytes > u128::from(MAX_BYTES) {
            return Err(format!("is more than flowcap accepts ({})", Bytes(MAX_BYTES)));
        }
        Ok(Bytes(bytes as u64))
    }

    /// In the largest of the binary units (PiB first) that divides the size exactly.
    fn in_units(self, names: [&str; 5]) -> String {
        [PIB, TIB, GIB, MIB, KIB]
            .iter()
            .zip(names)
            .find(|(size, _)| self.0 >= **size && self.0.is_multiple_of(**size))
            .map(|(size, name)| format!("{}{name}", self.0 / size))
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl Cpus {
    pub const fn whole(n: u64) -> Cpus {
        Cpus(n * 1000)
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Parses `0.5`, `4` or Kubernetes millicores `250m`.
    ///
    /// ```
    /// use flowcap::model::units::Cpus;
    /// assert_eq!(Cpus::parse("250m"), Cpus::parse("0.25"));
    /// assert_eq!(Cpus::parse("4").unwrap().to_string(), "4");
    /// ```
    pub fn parse(text: &str) -> Result<Cpus, String> {
        let expected =
            || format!("invalid CPU amount `{text}`: expected a decimal such as 0.5 or 4, or millicores such as 250m");
        let trimmed = text.trim();
        let millis = match trimmed.strip_suffix('m') {
            Some(millicores) => {
                if millicores.split_once('.').is_some_and(|(_, f)| !f.trim_end_matches('0').is_empty()) {
                    return Err(format!("CPU amount `{text}` is finer than 0.001 CPU"));
                }
                scale_decimal(millicores, 1).ok_or_else(expected)?
            }
            None => {
                let fraction = trimmed.split_once('.').map_or("", |(_, f)| f);
                if fraction.trim_end_matches('0').len() > 3 {
                    return Err(format!("CPU amount `{text}` is finer than 0.001 CPU"));
                }
                scale_decimal(trimmed, 1000).ok_or_else(expected)?
            }
        };
        if millis > u128::from(MAX_MILLICPUS) {
            return Err(format!("CPU amount `{text}` is more than 100000 CPUs"));
        }
        Ok(Cpus(millis as u64))
    }
}

impl Cpus {
    /// The Kubernetes quantity: whole CPUs as `2`, others in millicores (`250m`).
    ///
    /// ```
    /// use flowcap::model::units::Cpus;
    /// assert_eq!((Cpus(250).kubernetes(), Cpus::whole(2).kubernetes()), ("250m".into(), "2".into()));
    /// ```
    pub fn kubernetes(self) -> String {
        if self.0.is_multiple_of(1000) { (self.0 / 1000).to_string() } else { format!("{}m", self.0) }
    }
}

impl fmt::Display for Cpus {
    /// `4`, `0.5`, `1.25`: as few decimals as the value needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", trim_decimal(self.as_f64(), 3))
    }
}

/// Formats with at most `decimals` decimals and no trailing zeros.
pub fn trim_decimal(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// A duration in seconds: a plain number of seconds, or a number with `ms`, `s`, `m` or `h`.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Seconds(pub f64);

impl Seconds {
    pub fn parse(text: &str) -> Result<Seconds, String> {
        let trimmed = text.trim();
        let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let scale = match unit.trim_start() {
            "" | "s" => 1.0,
            "ms" => 0.001,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return Err(format!("invalid duration `{text}`: expected seconds such as 30, 30s, 500ms, 2m or 1h")),
        };
        let value: f64 = match number.parse() {
            Ok(value) if !number.ends_with('.') && !number.starts_with('.') => value,
            _ => return Err(format!("invalid duration `{text}`: expected seconds such as 30, 30s, 500ms, 2m or 1h")),
        };
        Ok(Seconds(value * scale))
    }
}

impl fmt::Display for Seconds {
    /// `30 s`, `1.2 s`, `250 ms`, `4.5 min`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s.is_infinite() {
            f.write_str("∞")
        } else if s == 0.0 {
            f.write_str("0 s")
        } else if s < 1.0 {
            write!(f, "{} ms", trim_decimal(s * 1000.0, if s < 0.01 { 2 } else { 0 }))
        } else if s < 120.0 {
            write!(f, "{} s", trim_decimal(s, 1))
        } else if s < 7200.0 {
            write!(f, "{} min", trim_decimal(s / 60.0, 1))
        } else {
            write!(f, "{} h", trim_decimal(s / 3600.0, 1))
        }
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarText { parse: Seconds::parse, expecting: "a duration such as 30s or 500ms" })
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{}s", trim_decimal(self.0, 3)))
    }
}

/// A share (0.25) as a percentage with at most one decimal (`25`, `12.5`).
pub fn percent(share: f64) -> String {
    trim_decimal(share * 100.0, 1)
}

/// Accepts a YAML number or string and hands its text to a parser, so `8G`, `"0.5"`, `0.5`
/// and `4` all arrive as text and share one grammar.
struct ScalarText<T> {
    parse: fn(&str) -> Result<T, String>,
    expecting: &'static str,
}

impl<T> Visitor<'_> for ScalarText<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        if v < 0 {
            return Err(E::custom(format!("{} must not be negative, got {v}", self.expecting)));
        }
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        if !v.is_finite() || v < 0.0 {
            return Err(E::custom(format!("{} must be a finite, non-negative number, got {v}", self.expecting)));
        }
        self.visit_str(&v.to_string())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarText { parse: Bytes::parse, expecting: "a memory size such as 512m or 8Gi" })
    }
}

impl<'de> Deserialize<'de> for Cpus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarText { parse: Cpus::parse, expecting: "a CPU amount such as 0.5 or 4" })
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.compose())
    }
}

impl Serialize for Cpus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

/// Ratios and rates are reported to four decimals: enough for a percentage with two, exact rates
/// stay exact, float noise goes, and the text is stable.
pub fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// A probability as a share of time: `0.42 %`, `1.2e-7 %`, `0 %`.
/// Two significant digits below 1 %, so a share just under a policy line never prints as the
/// line itself (0.096 %, not 0.1 %).
pub fn share_text(probability: f64) -> String {
    let percent = probability * 100.0;
    if percent == 0.0 || percent >= 1.0 {
        format!("{} %", trim_decimal(percent, 2))
    } else if percent >= 0.01 {
        let decimals = (1 - percent.log10().floor() as i32).clamp(2, 3) as usize;
        format!("{} %", trim_decimal(percent, decimals))
    } else {
        format!("{percent:.1e} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shares of time as the reports print them: whole and two decimals from 1 %, two
    /// significant digits below (never rounded up onto a policy line), scientific below 0.01 %.
    #[test]
    fn shares_of_time_keep_two_significant_digits_below_one_percent() {
        for (probability, text) in [
            (0.0, "0 %"),
            (0.5, "50 %"),
            (0.0123456, "1.23 %"),
            (0.0042, "0.42 %"),
            (0.00096, "0.096 %"),
            (0.0001, "0.01 %"),
            (0.000012, "1.2e-3 %"),
        ] {
            assert_eq!(share_text(probability), text, "{probability}");
        }
    }

    #[test]
    fn compose_and_kubernetes_memory_forms() {
        let cases = [
            ("1024", 1024),
            ("512m", 512 * MIB),
            ("512M", 512 * MIB),
            ("8G", 8 * GIB),
            ("1gb", GIB),
            ("1GB", GIB),
            ("2k", 2048),
            ("10b", 10),
            ("512Mi", 512 * MIB),
            ("8Gi", 8 * GIB),
            ("1.5GiB", GIB + GIB / 2),
            ("1 GiB", GIB),
            ("1p", PIB),
        ];
        for (text, bytes) in cases {
            assert_eq!(Bytes::parse(text), Ok(Bytes(bytes)), "{text}");
        }
    }

    #[test]
    fn bad_memory_is_rejected_with_the_grammar() {
        for text in ["", "m", "8X", "8 G B", "-1G", "1.G", ".5G", "8ib", "1e3"] {
            let err = Bytes::parse(text).unwrap_err();
            assert!(err.contains("expected a number with an optional unit"), "{text}: {err}");
        }
        assert!(Bytes::parse("2p").unwrap_err().contains("larger than 1 PiB"));
        assert!(Bytes::parse("99999999999999999999999999g").unwrap_err().contains("larger than 1 PiB"));
    }

    #[test]
    fn memory_prints_human_readable_and_compose_exact() {
        assert_eq!(Bytes(8 * GIB).to_string(), "8 GiB");
        assert_eq!(Bytes(4 * GIB / 10).to_string(), "409.6 MiB");
        assert_eq!(Bytes(100).to_string(), "100 B");
        assert_eq!(Bytes(8 * GIB).compose(), "8G");
        assert_eq!(Bytes(1536 * MIB).compose(), "1536M");
        assert_eq!(Bytes(1000).compose(), "1000");
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(Cpus::parse("0.5"), Ok(Cpus(500)));
        assert_eq!(Cpus::parse("4"), Ok(Cpus(4000)));
        assert_eq!(Cpus::parse("250m"), Ok(Cpus(250)));
        assert_eq!(Cpus::parse("1.250"), Ok(Cpus(1250)));
        assert!(Cpus::parse("0.0001").unwrap_err().contains("finer than 0.001"));
        assert!(Cpus::parse("four").unwrap_err().contains("expected a decimal"));
        assert!(Cpus::parse("1000000").unwrap_err().contains("more than 100000"));
        assert_eq!(Cpus(1250).to_string(), "1.25");
        assert_eq!(Cpus(4000).to_string(), "4");
    }

    #[test]
    fn durations() {
        assert_eq!(Seconds::parse("30"), Ok(Seconds(30.0)));
        assert_eq!(Seconds::parse("30s"), Ok(Seconds(30.0)));
        assert_eq!(Seconds::parse("500ms"), Ok(Seconds(0.5)));
        assert_eq!(Seconds::parse("2m"), Ok(Seconds(120.0)));
        assert_eq!(Seconds::parse("1.5h"), Ok(Seconds(5400.0)));
        for bad in ["", "s", "30x", "-1s", ".5s", "1e3"] {
            assert!(Seconds::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Seconds(0.25).to_string(), "250 ms");
        assert_eq!(Seconds(1.234).to_string(), "1.2 s");
        assert_eq!(Seconds(300.0).to_string(), "5 min");
    }
}
