fn main() {
    std::process::exit(furrow::run(std::env::args_os().collect()));
}
