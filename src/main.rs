fn main() {
    // A shell asking for completions (`FURROW_COMPLETE=bash furrow -- …`) is answered, then exits.
    furrow::complete::answer_if_asked();
    std::process::exit(furrow::run(std::env::args_os().collect()));
}
