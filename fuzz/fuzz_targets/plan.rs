//! A plan file, as `flowcap PLAN` reads it: parsed, validated, analysed and reported in every
//! format. Bad input must be an error, never a panic or a hang.
#![no_main]

use flowcap::model::load::parse_plan;
use flowcap::report::{Format, Report};
use flowcap::analysis::rules::Severity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(loaded) = parse_plan("plan.yaml", text) {
        let report = Report::new(&loaded, Severity::Error);
        for format in [Format::Human, Format::Json, Format::Sarif, Format::Junit, Format::Github] {
            let _ = report.render(format);
        }
    }
});
