//! `showrunner`: personalized XR cinema that adapts to the viewer's body (the command; the
//! app is the `showrunner` library).

fn main() -> std::process::ExitCode {
    showrunner::main()
}
