//! Compose's `${VAR:-default}` interpolation over a small fixed environment.
#![no_main]

use flowcap::platform::compose::interpolate::interpolate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lookup = |name: &str| match name {
        "SET" => Some("value"),
        "EMPTY" => Some(""),
        "NESTED" => Some("${SET}"),
        _ => None,
    };
    let _ = interpolate(text, &lookup);
});
