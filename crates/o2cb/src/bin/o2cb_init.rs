fn main() {
    std::process::exit(o2cb::main_with(o2cb::init::run));
}
