fn main() {
    std::process::exit(o2cb_runtime::main_with(o2cb_ctl::run));
}
