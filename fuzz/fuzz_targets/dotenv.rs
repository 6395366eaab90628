//! A `.env` file in Compose's syntax: quoting, `export`, comments, references to earlier keys.
#![no_main]

use flowcap::platform::compose::env::parse_dotenv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lookup = |name: &str| (name == "HOME").then(|| "/home/op".to_string());
    let _ = parse_dotenv(".env", text, &lookup);
});
