//! Fuzzes the Heart Rate Measurement decoder: any bytes must decode or
//! error, never panic; whatever decodes must re-encode to the same values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use showrunner_biometrics::hrm::decode;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = decode(data) {
        let again = decode(&m.encode()).expect("a re-encoded measurement decodes");
        assert_eq!(again.bpm, m.bpm);
        assert_eq!(again.contact, m.contact);
        assert_eq!(again.energy_kj, m.energy_kj);
        assert_eq!(again.rr_1024, m.rr_1024);
    }
});
