//! Progress bars (indicatif) on stderr implementing the core's `Reporter`. A bar appears only
//! after 250 ms, so fast commands stay silent.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mlx::progress::Reporter;

use super::output::Output;

const DELAY: Duration = Duration::from_millis(250);

pub struct Bars {
    output: Output,
    current: Mutex<Option<(ProgressBar, Instant, bool)>>,
}

impl Bars {
    pub fn new(output: Output) -> Self {
        Bars { output, current: Mutex::new(None) }
    }
}

impl Reporter for Bars {
    fn start(&self, label: &str, total: u64) {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:30}] {human_pos}/{human_len} {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        *self.current.lock().expect("poisoned") = Some((bar, Instant::now(), false));
    }

    fn advance(&self, n: u64) {
        let mut guard = self.current.lock().expect("poisoned");
        if let Some((bar, started, shown)) = guard.as_mut() {
            bar.inc(n);
            if !*shown && started.elapsed() > DELAY {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                *shown = true;
            }
        }
    }

    fn finish(&self) {
        if let Some((bar, _, _)) = self.current.lock().expect("poisoned").take() {
            bar.finish_and_clear();
        }
    }

    fn note(&self, message: &str) {
        let guard = self.current.lock().expect("poisoned");
        match guard.as_ref() {
            Some((bar, _, true)) => bar.suspend(|| self.output.status(message)),
            _ => self.output.status(message),
        }
    }
}
