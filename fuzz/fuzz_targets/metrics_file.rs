#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mlx::fuzzing::metrics_file(data));
