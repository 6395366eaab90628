//! Sizes and quantities both ways, at every suffix and edge: a multiplier replaced, a cap or a
//! digit guard dropped, or the tie rule turned fails here.

use flowcap::model::units::{Bytes, Cpus, MAX_BYTES, Seconds};

#[test]
fn kubernetes_quantities_read_at_every_suffix() {
    let kib = 1u64 << 10;
    for (text, bytes) in [
        ("1Ki", kib),
        ("3Mi", 3 << 20),
        ("2Gi", 2 << 30),
        ("5Ti", 5 << 40),
        ("1Pi", 1 << 50),
        ("7k", 7_000),
        ("2M", 2_000_000),
        ("3G", 3_000_000_000),
        ("4T", 4_000_000_000_000),
        ("1P", 1_000_000_000_000_000),
        // A fraction of a byte rounds up, as the kubelet does.
        ("1500m", 2),
        ("1.5", 2),
        ("5e-1", 1),
        ("1e0", 1),
        ("25e2", 2500),
        ("2e12", 2_000_000_000_000),
        ("0.5Ki", 512),
        ("1.000000001G", 1_000_000_001),
    ] {
        assert_eq!(Bytes::parse_kubernetes(text), Ok(Bytes(bytes)), "{text}");
    }
    let too_big = format!("is more than flowcap accepts ({})", Bytes(MAX_BYTES));
    for text in ["1Ei", "2E", "1e18", "2e15", "10000000000000000000", "1025Ti"] {
        assert_eq!(Bytes::parse_kubernetes(text), Err(too_big.clone()), "{text}");
    }
    // Not quantities at all: a bare suffix, nothing, exponents past ±18, 21 digits, ten decimals.
    for text in ["Mi", "", "1e-20", "1e40", "100000000000000000000", "1.0000000001", "1gi", "1 Gi", "0x10"] {
        let error = Bytes::parse_kubernetes(text).unwrap_err();
        assert!(error.starts_with("expected a Kubernetes quantity"), "{text}: {error}");
    }
}

#[test]
fn kubernetes_quantities_written_exactly_and_binary_when_they_tie() {
    for (bytes, text) in [
        (100_352_000, "98000Ki"), // 98000Ki and 100352k are both seven characters
        (1 << 50, "1Pi"),
        (3 << 40, "3Ti"),
        (1_000_000_000, "1G"),
        (1_500_000_000_000, "1500G"),
        (2_000_000_000_000_000 / 1000, "2T"),
        (1536, "1536"),
        (0, "0"),
    ] {
        assert_eq!(Bytes(bytes).kubernetes(), text, "{bytes}");
        assert_eq!(Bytes::parse_kubernetes(text), Ok(Bytes(bytes)), "{text} back");
    }
}

#[test]
fn compose_sizes_at_every_suffix_and_edge() {
    let tib = 1u64 << 40;
    for text in ["1t", "1tb", "1ti", "1tib", "1T", "1 TiB"] {
        assert_eq!(Bytes::parse(text), Ok(Bytes(tib)), "{text}");
    }
    assert_eq!(Bytes::parse("1p"), Ok(Bytes(1 << 50)));
    assert_eq!(Bytes::parse("1.5k"), Ok(Bytes(1536)));
    let over = Bytes::parse("1025t").unwrap_err();
    assert_eq!(over, "memory size `1025t` is larger than 1 PiB");
    assert_eq!(
        Bytes::parse("100000000000000000000000g").unwrap_err(),
        "memory size `100000000000000000000000g` is larger than 1 PiB"
    );
    // A long fraction is said to be that, not a size past the cap.
    let fine = Bytes::parse("1.0000000000000000000001G").unwrap_err();
    assert_eq!(fine, "memory size `1.0000000000000000000001G` has more than 18 decimals");
    assert_eq!(Bytes::parse("1.000000000000000001G"), Ok(Bytes(1 << 30)), "18 decimals: read, rounded down");
    for text in ["", "G", "1x", "1.", ".5g", "-1g"] {
        assert!(Bytes::parse(text).unwrap_err().starts_with("invalid memory size"), "{text}");
    }
}

#[test]
fn cpus_and_durations_at_their_edges() {
    assert_eq!(Cpus::parse("0.0"), Ok(Cpus(0)));
    assert_eq!(Cpus::parse("250m"), Ok(Cpus(250)));
    assert_eq!(Cpus::parse("100000"), Ok(Cpus(100_000_000)));
    assert_eq!(Cpus::parse("100000.001").unwrap_err(), "CPU amount `100000.001` is more than 100000 CPUs");
    assert_eq!(Cpus::parse("0.0005").unwrap_err(), "CPU amount `0.0005` is finer than 0.001 CPU");
    // Only digits and one point: Rust's integer parser would take a sign.
    for text in ["+5", "5.+1", "+250m", "1e3", "-1"] {
        assert!(Cpus::parse(text).unwrap_err().starts_with("invalid CPU amount"), "{text}");
    }
    // Zeros past the point say nothing, however many; a fraction of a millicore is too fine.
    assert_eq!(Cpus::parse("1.0000000000000000000000"), Ok(Cpus(1000)));
    assert_eq!(Cpus::parse("250.000m"), Ok(Cpus(250)));
    assert_eq!(Cpus::parse("1.5m").unwrap_err(), "CPU amount `1.5m` is finer than 0.001 CPU");
    assert_eq!(
        Bytes::parse("2.0000000000000000000000000g").unwrap_err(),
        "memory size `2.0000000000000000000000000g` has more than 18 decimals"
    );
    // 39 digits would overflow the arithmetic: capped, said as past 1 PiB.
    let long = format!("{}p", "9".repeat(39));
    assert_eq!(Bytes::parse(&long).unwrap_err(), format!("memory size `{long}` is larger than 1 PiB"));
    // Durations are decimals of any length.
    assert_eq!(Seconds::parse("1.0000000000000000000001s"), Ok(Seconds(1.0)));
    // Seconds change unit at 1 second, 2 minutes and 2 hours.
    for (seconds, text) in [
        (1.0, "1 s"),
        (0.999, "999 ms"),
        (119.9, "119.9 s"),
        (120.0, "2 min"),
        (7199.0, "120 min"),
        (7200.0, "2 h"),
        (0.5, "500 ms"),
        (0.005, "5 ms"),
        (0.0, "0 s"),
        (f64::INFINITY, "∞"),
    ] {
        assert_eq!(Seconds(seconds).to_string(), text, "{seconds}");
    }
}

#[test]
fn yaml_numbers_below_zero_or_not_finite_are_refused_by_name() {
    use flowcap::model::load::parse_plan;
    for (value, said) in [
        ("-1", "a CPU amount such as 0.5 or 4 must not be negative, got -1"),
        ("-0.5", "a CPU amount such as 0.5 or 4 must be a finite, non-negative number, got -0.5"),
        (".inf", "a CPU amount such as 0.5 or 4 must be a finite, non-negative number, got inf"),
        (".nan", "a CPU amount such as 0.5 or 4 must be a finite, non-negative number, got NaN"),
    ] {
        let text = format!("runtime:\n  limits: {{ cpus: {value} }}\n");
        let error = parse_plan("p.yaml", &text).unwrap_err().to_string();
        assert!(error.contains(said), "{value}: {error}");
    }
    // A float zero reads as a number (the plan's own rule then refuses a zero reservation).
    let zero = parse_plan("p.yaml", "runtime:\n  reservations: { cpus: 0.0 }\n").unwrap_err().to_string();
    assert!(zero.ends_with("runtime.reservations.cpus: must be greater than 0 (leave it out for no limit)"), "{zero}");
    let error = parse_plan("p.yaml", "runtime:\n  limits: { memory: -512 }\n").unwrap_err().to_string();
    assert!(error.contains("a memory size such as 512m or 8Gi must not be negative, got -512"), "{error}");
    let error =
        parse_plan("p.yaml", "workload: { arrivals_per_minute: 1, mean_duration: -3 }\n").unwrap_err().to_string();
    assert!(error.contains("a duration such as 30s or 500ms must not be negative, got -3"), "{error}");
}

#[test]
fn sizes_side_by_side_read_differently_when_they_differ() {
    let gib = Bytes::gib(8);
    assert_eq!(Bytes::gib(9).beside(gib), ("9 GiB".into(), "8 GiB".into()));
    assert_eq!(gib.beside(gib), ("8 GiB".into(), "8 GiB".into()));
    assert_eq!(Bytes(gib.0 + (1 << 20)).beside(gib), ("8193 MiB".into(), "8192 MiB".into()));
    assert_eq!(Bytes(gib.0 + 512).beside(gib), ("8388608.5 KiB".into(), "8388608 KiB".into()));
    assert_eq!(Bytes(gib.0 + 1).beside(gib), ("8589934593 B".into(), "8589934592 B".into()));
}

#[test]
fn a_runtimes_idle_memory_is_written_when_given_and_only_then() {
    use flowcap::model::load::parse_plan;
    let given = parse_plan("p.yaml", "runtime:\n  base_memory: 300M\n").unwrap().plan;
    let text = given.to_file_text("test.").unwrap();
    assert!(text.contains("\n  base_memory: 300M "), "{text}");
    let none = parse_plan("p.yaml", "runtime:\n  replicas: 2\n").unwrap().plan;
    assert!(!none.to_file_text("test.").unwrap().contains("base_memory"));
}

/// What every report prints, held here and not only through the reports' own tests: the
/// constructors, the human and the exact forms at each unit, shares, rounding, and serde both
/// ways (a YAML number reaches the same grammar as a string; anything else is named).
#[test]
fn sizes_cpus_and_shares_as_the_reports_print_them() {
    use flowcap::model::units::{percent, round4, share_text, trim_decimal};
    assert_eq!((Bytes::mib(3), Bytes::gib(5)), (Bytes(3 << 20), Bytes(5 << 30)));
    assert_eq!((Bytes(3 << 20).as_f64(), Cpus::whole(3), Cpus(1500).as_f64()), (3_145_728.0, Cpus(3000), 1.5));
    for (bytes, human, compose, binary) in [
        (3u64 << 50, "3 PiB", "3P", "3Pi"),
        (3 << 40, "3 TiB", "3T", "3Ti"),
        ((3 << 40) + (1 << 39), "3.5 TiB", "3584G", "3584Gi"),
        (1536, "1.5 KiB", "1536", "1536"),
        (1024, "1 KiB", "1K", "1Ki"),
        (1023, "1023 B", "1023", "1023"),
        (0, "0 B", "0", "0"),
    ] {
        assert_eq!(
            (Bytes(bytes).to_string().as_str(), Bytes(bytes).compose(), Bytes(bytes).binary()),
            (human, compose.into(), binary.into()),
            "{bytes}"
        );
    }
    for (millis, human, kubernetes) in [(1500, "1.5", "1500m"), (2000, "2", "2"), (1, "0.001", "1m"), (0, "0", "0")] {
        assert_eq!(
            (Cpus(millis).to_string(), Cpus(millis).kubernetes()),
            (human.into(), kubernetes.into()),
            "{millis}"
        );
    }
    assert_eq!([trim_decimal(2.50, 2), trim_decimal(3.0, 1), trim_decimal(0.125, 2)], ["2.5", "3", "0.12"]);
    assert_eq!([percent(0.125), percent(0.5), percent(1.0), percent(0.00049)], ["12.5", "50", "100", "0"]);
    assert_eq!([round4(0.123_456), round4(2.0), round4(0.000_05), round4(7.25)], [0.1235, 2.0, 0.0001, 7.25]);
    assert_eq!([share_text(0.01), share_text(0.012_345), share_text(0.000_123_4)], ["1 %", "1.23 %", "0.012 %"]);
    // serde: memory as Compose's exact text, CPUs as a number; YAML numbers read as text.
    assert_eq!(serde_json::to_string(&(Bytes::gib(8), Cpus(500))).unwrap(), r#"["8G",0.5]"#);
    let read: (Bytes, Bytes, Cpus, Cpus) = serde_yaml::from_str("[1024, 512Mi, 2, '250m']").unwrap();
    assert_eq!(read, (Bytes(1024), Bytes::mib(512), Cpus(2000), Cpus(250)));
    let error = serde_yaml::from_str::<Bytes>("true").unwrap_err().to_string();
    assert!(error.contains("expected a memory size such as 512m or 8Gi"), "{error}");
    let error = serde_yaml::from_str::<Cpus>("[1]").unwrap_err().to_string();
    assert!(error.contains("expected a CPU amount such as 0.5 or 4"), "{error}");
}
