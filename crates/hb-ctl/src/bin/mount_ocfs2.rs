fn main() {
    std::process::exit(o2cb_runtime::main_with(hb_ctl::mount::run));
}
