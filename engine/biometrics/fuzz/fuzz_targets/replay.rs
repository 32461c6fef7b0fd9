//! Fuzzes the heart recording parser: any text must parse or give an error
//! naming a line, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use showrunner_biometrics::replay::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match parse(text, "fuzz.csv") {
            Ok(events) => assert!(events.windows(2).all(|w| w[0].t <= w[1].t)),
            Err(e) => assert!(e.line <= text.lines().count()),
        }
    }
});
