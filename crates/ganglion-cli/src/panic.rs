//! Panics are bugs: instead of a backtrace wall, a panic prints one short bug-report message
//! (what, where, which version, how to get the backtrace) and the process exits with 101.

/// Install the hook (once, at start).
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown place".into());
        eprintln!(
            "error: internal error in ganglion {} — this is a bug, not a problem with your input\n  \
             {what}\n  at {place}\n  hint: please report it with the command and the spec that \
             caused it{}",
            env!("CARGO_PKG_VERSION"),
            if std::env::var_os("RUST_BACKTRACE").is_some() {
                ""
            } else {
                "; RUST_BACKTRACE=1 adds the backtrace"
            }
        );
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}
