//! Quantities (`resource.ParseQuantity`, printed canonically) and durations (Go's
//! `time.ParseDuration`, `Duration.String()`): parsing never panics, printing parses back.
#![no_main]

use _native::api::quantity::{milli_quantity, parse_milli};
use _native::sim::clock::{format_go_duration, parse_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() >= 8 {
        let n = i64::from_le_bytes(data[..8].try_into().expect("eight bytes"));
        let printed = milli_quantity(n);
        assert_eq!(parse_milli(&printed), Some(n as i128), "{n} printed as {printed:?}");
        // Durations the simulator prints are whole milliseconds; below 2^53 they are exact.
        let ms = n.rem_euclid(1 << 53);
        let printed = format_go_duration(ms);
        assert_eq!(parse_duration(&printed), Ok(ms), "{ms} printed as {printed:?}");
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_milli(text);
    if let Ok(ms) = parse_duration(text) {
        assert!(ms >= 0, "{text:?} parsed to {ms}");
        let _ = format_go_duration(ms);
    }
});
