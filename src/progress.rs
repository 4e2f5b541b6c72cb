//! A progress bar on stderr for long runs. It is drawn by `indicatif` when
//! the command line is built in (feature `cli`); a library build without it
//! keeps the same calls and draws nothing.

/// A bar counting to a known length; hidden unless asked to show.
pub(crate) struct Bar {
    #[cfg(feature = "cli")]
    bar: indicatif::ProgressBar,
}

impl Bar {
    /// A bar of `len` steps drawn with `template` (indicatif's syntax) when
    /// `show` is true, else never drawn.
    #[cfg_attr(not(feature = "cli"), allow(unused_variables))]
    pub(crate) fn new(len: u64, show: bool, template: &str) -> Self {
        #[cfg(feature = "cli")]
        {
            use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
            let bar = ProgressBar::new(len);
            if show {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                if let Ok(style) = ProgressStyle::with_template(template) {
                    bar.set_style(style);
                }
            } else {
                bar.set_draw_target(ProgressDrawTarget::hidden());
            }
            Bar { bar }
        }
        #[cfg(not(feature = "cli"))]
        Bar {}
    }

    #[cfg_attr(not(feature = "cli"), allow(unused_variables))]
    pub(crate) fn inc(&self, n: u64) {
        #[cfg(feature = "cli")]
        self.bar.inc(n);
    }

    /// Moves the bar to `pos` and shows `msg` beside it (`msg` is made only
    /// when the bar is drawn).
    #[cfg_attr(not(feature = "cli"), allow(unused_variables))]
    pub(crate) fn set(&self, pos: u64, msg: impl FnOnce() -> String) {
        #[cfg(feature = "cli")]
        {
            self.bar.set_position(pos);
            if !self.bar.is_hidden() {
                self.bar.set_message(msg());
            }
        }
    }

    pub(crate) fn finish(&self) {
        #[cfg(feature = "cli")]
        self.bar.finish_and_clear();
    }
}
