#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mlx::fuzzing::sort_key(data));
