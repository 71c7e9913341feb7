fn main() {
    std::process::exit(o2cb::main_with(mounted::run));
}
